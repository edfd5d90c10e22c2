package journal

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pdemu/pdemu/emulator/internal/glob"
	"github.com/pdemu/pdemu/emulator/internal/paging"
)

var t0 = time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)

func add(j *Journal, n int, mk func(i int) Entry) {
	for i := 1; i <= n; i++ {
		j.Add(mk(i))
	}
}

func seqs(es []Entry) []uint64 {
	out := []uint64{}
	for _, e := range es {
		out = append(out, e.Seq)
	}
	return out
}

func TestRingOverflow(t *testing.T) {
	for _, tc := range []struct {
		size, added, wantLen int
		wantDropped          uint64
		wantNewest, wantOld  uint64
	}{
		{size: 3, added: 2, wantLen: 2, wantDropped: 0, wantNewest: 2, wantOld: 1},
		{size: 3, added: 3, wantLen: 3, wantDropped: 0, wantNewest: 3, wantOld: 1},
		{size: 3, added: 4, wantLen: 3, wantDropped: 1, wantNewest: 4, wantOld: 2},
		{size: 3, added: 10, wantLen: 3, wantDropped: 7, wantNewest: 10, wantOld: 8},
		{size: 1, added: 5, wantLen: 1, wantDropped: 4, wantNewest: 5, wantOld: 5},
	} {
		t.Run(fmt.Sprintf("size%d_added%d", tc.size, tc.added), func(t *testing.T) {
			j := New(tc.size, 0)
			add(j, tc.added, func(int) Entry { return Entry{} })
			all := j.All(Filter{})
			st := j.Stats()
			if len(all) != tc.wantLen || st.Len != tc.wantLen || st.Dropped != tc.wantDropped || st.Recorded != uint64(tc.added) {
				t.Fatalf("len %d stats %+v, want len %d dropped %d", len(all), st, tc.wantLen, tc.wantDropped)
			}
			if all[0].Seq != tc.wantNewest || all[len(all)-1].Seq != tc.wantOld {
				t.Fatalf("entries %v: want newest %d first and oldest %d last", seqs(all), tc.wantNewest, tc.wantOld)
			}
		})
	}
}

func TestByteBound(t *testing.T) {
	j := New(100, 10)
	body := func(n int) Entry { return Entry{Request: Message{Body: make([]byte, n)}} }
	j.Add(body(4))
	j.Add(body(4))
	j.Add(body(2)) // exactly 10: all kept
	if st := j.Stats(); st.Len != 3 || st.Dropped != 0 {
		t.Fatalf("at the byte bound: %+v", st)
	}
	j.Add(body(1)) // 11: the oldest goes
	if st := j.Stats(); st.Len != 3 || st.Dropped != 1 {
		t.Fatalf("one byte past the bound: %+v", st)
	}
	j.Add(body(50)) // larger than the bound on its own: kept alone
	if st := j.Stats(); st.Len != 1 || st.Dropped != 4 {
		t.Fatalf("an entry over the bound: %+v", st)
	}
}

func TestHeadersCountAgainstTheByteBound(t *testing.T) {
	j := New(100, 100)
	h := EncodeHeader(map[string][]string{"X-Big": {strings.Repeat("x", 42)}}, "", func(_, v string) string { return v })
	if len(h) != 50 { // "X-Big: " + 42 + "\n"
		t.Fatalf("encoded header is %d bytes", len(h))
	}
	j.Add(Entry{Request: Message{Header: h}})
	j.Add(Entry{Response: Message{Header: h}})
	if st := j.Stats(); st.Len != 2 || st.Dropped != 0 {
		t.Fatalf("at the bound: %+v", st)
	}
	j.Add(Entry{Request: Message{Body: []byte{1}}})
	if st := j.Stats(); st.Len != 2 || st.Dropped != 1 {
		t.Fatalf("past the bound: %+v", st)
	}
}

func TestDisabled(t *testing.T) {
	for _, j := range []*Journal{nil, New(0, 0)} {
		j.Add(Entry{})
		j.Clear()
		if j.Enabled() || j.Count(Filter{}) != 0 || j.All(Filter{}) != nil || j.Stats() != (Stats{}) || j.Size() != 0 {
			t.Fatal("a disabled journal records nothing")
		}
		p, err := j.Page(Filter{}, paging.Request{})
		if err != nil || len(p.Data) != 0 || p.Data == nil {
			t.Fatalf("Page on a disabled journal: %+v %v", p, err)
		}
	}
}

func TestClearKeepsNumbering(t *testing.T) {
	j := New(10, 0)
	add(j, 3, func(int) Entry { return Entry{} })
	j.Clear()
	if j.Count(Filter{}) != 0 {
		t.Fatal("Clear left entries")
	}
	j.Add(Entry{})
	if all := j.All(Filter{}); len(all) != 1 || all[0].Seq != 4 || all[0].ID() != "req_4" {
		t.Fatalf("after Clear: %+v", all)
	}
	if st := j.Stats(); st.Dropped != 0 {
		t.Fatalf("Clear counted as dropped: %+v", st)
	}
}

func TestFilter(t *testing.T) {
	j := New(100, 0)
	add(j, 20, func(i int) Entry {
		e := Entry{At: t0.Add(time.Duration(i) * time.Second), Method: "GET", Path: "/v1/connect/projects", Route: "projects.list", Status: 200}
		if i%2 == 0 {
			e.Method, e.Path, e.Route, e.Status = "POST", "/v1/oauth/token", "oauthTokens.create", 429
			e.ClientID = "oc_a"
		}
		if i%5 == 0 {
			e.ExternalUserID, e.FaultID = "u1", "flt_1"
		}
		return e
	})
	for _, tc := range []struct {
		name string
		f    Filter
		want int
	}{
		{"all", Filter{}, 20},
		{"method", Filter{Method: "post"}, 10},
		{"route", Filter{Route: glob.MustCompile("projects.list")}, 10},
		{"route glob", Filter{Route: glob.MustCompile("oauth*|projects.*")}, 20},
		{"path prefix", Filter{PathPrefix: "/v1/oauth/"}, 10},
		{"status", Filter{Status: 429}, 10},
		{"status class", Filter{StatusClass: 2}, 10},
		{"client", Filter{ClientID: "oc_a"}, 10},
		{"external user", Filter{ExternalUserID: "u1"}, 4},
		{"since at an entry", Filter{Since: t0.Add(15 * time.Second)}, 6},
		{"since just after", Filter{Since: t0.Add(15*time.Second + 1)}, 5},
		{"faults", Filter{FaultsOnly: true}, 4},
		{"combined", Filter{Method: "POST", ExternalUserID: "u1"}, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := j.Count(tc.f); got != tc.want {
				t.Fatalf("Count = %d, want %d", got, tc.want)
			}
			if got := len(j.All(tc.f)); got != tc.want {
				t.Fatalf("All = %d, want %d", got, tc.want)
			}
		})
	}
}

func TestParseStatus(t *testing.T) {
	for _, tc := range []struct {
		in            string
		status, class int
		ok            bool
	}{
		{"429", 429, 0, true}, {"4xx", 0, 4, true}, {"5XX", 0, 5, true}, {"100", 100, 0, true}, {"599", 599, 0, true},
		{"99", 0, 0, false}, {"600", 0, 0, false}, {"6xx", 0, 0, false}, {"abc", 0, 0, false}, {"", 0, 0, false},
	} {
		s, c, err := ParseStatus(tc.in)
		if (err == nil) != tc.ok || s != tc.status || c != tc.class {
			t.Errorf("ParseStatus(%q) = %d, %d, %v", tc.in, s, c, err)
		}
	}
}

// TestPageWalk pages through every filter and limit and checks the pages
// join into exactly All's answer, and that walking back with before
// returns the previous page.
func TestPageWalk(t *testing.T) {
	j := New(50, 0)
	add(j, 80, func(i int) Entry { return Entry{Status: 200 + i%3} }) // 30 dropped
	for _, f := range []Filter{{}, {Status: 201}} {
		want := seqs(j.All(f))
		for limit := 1; limit <= 12; limit++ {
			var got []uint64
			req := paging.Request{Limit: limit}
			var pages []paging.Page[Entry]
			for n := 0; ; n++ {
				p, err := j.Page(f, req)
				if err != nil {
					t.Fatal(err)
				}
				if p.PageInfo.TotalCount != len(want) || p.PageInfo.Count != len(p.Data) {
					t.Fatalf("page info %+v, want total %d", p.PageInfo, len(want))
				}
				pages = append(pages, p)
				got = append(got, seqs(p.Data)...)
				if p.PageInfo.EndCursor == nil {
					break
				}
				if n > 100 {
					t.Fatal("pager does not end")
				}
				req = mustParse(t, limit, *p.PageInfo.EndCursor, "")
			}
			if fmt.Sprint(got) != fmt.Sprint(want) {
				t.Fatalf("limit %d: walked %v, want %v", limit, got, want)
			}
			if len(pages) > 1 {
				back, err := j.Page(f, mustParse(t, limit, "", *pages[1].PageInfo.StartCursor))
				if err != nil {
					t.Fatal(err)
				}
				if fmt.Sprint(seqs(back.Data)) != fmt.Sprint(seqs(pages[0].Data)) {
					t.Fatalf("limit %d: before the second page gave %v, want %v", limit, seqs(back.Data), seqs(pages[0].Data))
				}
				if back.PageInfo.EndCursor == nil {
					t.Fatal("a page with older entries after it has an end cursor")
				}
			}
		}
	}
	if _, err := j.Page(Filter{}, mustParse(t, 1, *paging.Cursor("not-a-seq"), "")); err == nil {
		t.Fatal("a foreign cursor is an error")
	}
}

func mustParse(t *testing.T, limit int, after, before string) paging.Request {
	t.Helper()
	req, err := paging.Parse(fmt.Sprint(limit), after, before)
	if err != nil {
		t.Fatal(err)
	}
	return req
}

func TestConcurrentAdd(t *testing.T) {
	j := New(1000, 0)
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 500; i++ {
				j.Add(Entry{})
				_ = j.Count(Filter{})
			}
		}()
	}
	wg.Wait()
	if st := j.Stats(); st.Recorded != 4000 || st.Len != 1000 || st.Dropped != 3000 {
		t.Fatalf("stats %+v", st)
	}
}

func BenchmarkAdd(b *testing.B) {
	j := New(DefaultSize, 0)
	e := Entry{Method: "GET", Path: "/v1/connect/projects", Request: Message{Body: make([]byte, 200)}, Response: Message{Body: make([]byte, 700)}}
	b.ReportAllocs()
	for b.Loop() {
		j.Add(e)
	}
}

func TestHeader(t *testing.T) {
	h := EncodeHeader(map[string][]string{"Accept": {"a", "b"}, "X-Line": {"one\ntwo"}}, "example.test",
		func(name, v string) string {
			if name == "Accept" {
				return strings.ToUpper(v)
			}
			return v
		})
	if got := h.Get("Host"); got != "example.test" {
		t.Fatalf("Host = %q", got)
	}
	m := h.Map()
	if fmt.Sprint(m["Accept"]) != "[A B]" || fmt.Sprint(m["X-Line"]) != "[one two]" || h.Get("Missing") != "" {
		t.Fatalf("decoded %v", m)
	}
	if len(Header("").Map()) != 0 {
		t.Fatal("an empty header decodes to nothing")
	}
}
