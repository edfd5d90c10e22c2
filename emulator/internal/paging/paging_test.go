package paging

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pdemu/pdemu/emulator/apperr"
)

func keys(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("k%02d", i)
	}
	return out
}

func id(s string) string { return s }

func TestParse(t *testing.T) {
	tests := []struct {
		name                 string
		limit, after, before string
		want                 Request
		wantErr              bool
	}{
		{name: "defaults", want: Request{Limit: 10}},
		{name: "min", limit: "1", want: Request{Limit: 1}},
		{name: "max", limit: "100", want: Request{Limit: 100}},
		{name: "zero", limit: "0", wantErr: true},
		{name: "over max", limit: "101", wantErr: true},
		{name: "negative", limit: "-1", wantErr: true},
		{name: "not a number", limit: "ten", wantErr: true},
		{name: "fraction", limit: "1.5", wantErr: true},
		{name: "cursor", after: *Cursor("k03"), want: Request{Limit: 10, After: "k03"}},
		{name: "padded std cursor", before: "azAz", want: Request{Limit: 10, Before: "k03"}},
		{name: "junk cursor", after: "%%%", wantErr: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Parse(tc.limit, tc.after, tc.before)
			if tc.wantErr {
				assert.ErrorIs(t, err, apperr.ErrInvalid)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.want, got)
		})
	}
}

func TestSlice(t *testing.T) {
	items := keys(25)
	tests := []struct {
		name      string
		items     []string
		req       Request
		want      []string
		wantStart string // "" means null
		wantEnd   string
	}{
		{name: "empty list", items: nil, req: Request{Limit: 10}, want: []string{}},
		{name: "first page", items: items, req: Request{Limit: 10}, want: items[:10], wantStart: "k00", wantEnd: "k09"},
		{name: "middle page", items: items, req: Request{Limit: 10, After: "k09"}, want: items[10:20], wantStart: "k10", wantEnd: "k19"},
		{name: "last page has null end cursor", items: items, req: Request{Limit: 10, After: "k19"}, want: items[20:], wantStart: "k20"},
		{name: "exact fit has null end cursor", items: items[:10], req: Request{Limit: 10}, want: items[:10], wantStart: "k00"},
		{name: "past the end", items: items, req: Request{Limit: 10, After: "k24"}, want: []string{}},
		{name: "cursor of a deleted item", items: append(append([]string{}, items[:5]...), items[6:]...), req: Request{Limit: 2, After: "k05"}, want: []string{"k06", "k07"}, wantStart: "k06", wantEnd: "k07"},
		{name: "before takes the preceding page", items: items, req: Request{Limit: 10, Before: "k20"}, want: items[10:20], wantStart: "k10", wantEnd: "k19"},
		{name: "before near the start", items: items, req: Request{Limit: 10, Before: "k03"}, want: items[:3], wantStart: "k00", wantEnd: "k02"},
		{name: "between", items: items, req: Request{Limit: 10, After: "k02", Before: "k06"}, want: items[3:6], wantStart: "k03", wantEnd: "k05"},
		{name: "crossed cursors", items: items, req: Request{Limit: 10, After: "k10", Before: "k05"}, want: []string{}},
		{name: "zero limit means default", items: items, req: Request{}, want: items[:10], wantStart: "k00", wantEnd: "k09"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := Slice(tc.items, id, tc.req)
			assert.Equal(t, tc.want, p.Data)
			assert.Equal(t, len(tc.want), p.PageInfo.Count)
			assert.Equal(t, len(tc.items), p.PageInfo.TotalCount)
			assert.Equal(t, cursorOrNil(tc.wantStart), p.PageInfo.StartCursor)
			assert.Equal(t, cursorOrNil(tc.wantEnd), p.PageInfo.EndCursor)
		})
	}
}

func cursorOrNil(key string) *string {
	if key == "" {
		return nil
	}
	return Cursor(key)
}

func TestWalkingEveryPageSeesEachItemOnce(t *testing.T) {
	items := keys(57)
	var seen []string
	req := Request{Limit: 7}
	for pages := 0; ; pages++ {
		require.Less(t, pages, 20, "pagination must end")
		p := Slice(items, id, req)
		seen = append(seen, p.Data...)
		if p.PageInfo.EndCursor == nil {
			break
		}
		next, err := Parse("7", *p.PageInfo.EndCursor, "")
		require.NoError(t, err)
		req = next
	}
	assert.Equal(t, items, seen)
}

func TestSeqKeySortsNumerically(t *testing.T) {
	assert.Less(t, SeqKey(9), SeqKey(10))
	assert.Less(t, SeqKey(255), SeqKey(256))
	assert.Less(t, SeqKey(1<<40), SeqKey(1<<40+1))
}

func TestParseSeqKeyRoundTrips(t *testing.T) {
	for _, n := range []uint64{0, 1, 9, 1 << 40, 1<<63 - 1} {
		got, ok := ParseSeqKey(SeqKey(n))
		assert.True(t, ok)
		assert.Equal(t, n, got)
	}
	for _, bad := range []string{"", "k03", "0000000000000001", "8000000000000000a", "zzzzzzzzzzzzzzzz"} {
		_, ok := ParseSeqKey(bad)
		assert.False(t, ok, bad)
	}
}
