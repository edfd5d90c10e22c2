package wire

import (
	"fmt"
)

// Page checks a decoded answer of a Connect list, {data: [...], page_info:
// {...}}, against what holds for any faithful server (Pipedream's OpenAPI
// PageInfo, and the SDK's pager, which asks for the next page with
// after=<end_cursor> and stops when end_cursor is null, absent or ""):
//
//   - count and total_count, when present, are integers: the page's number
//     of items and at least that many in all (the SDK's PageInfo: count is
//     the "Number of items returned", total_count the "Total number of
//     items");
//   - start_cursor and end_cursor, when present, are strings or null;
//   - a page with no items is the last: its end_cursor is null (or absent,
//     or ""), or the pager asks again for ever.
//
// It returns what is wrong, nothing for a body that is not such a page (an
// error, a bare array). Whether a non-empty page was the last shows only
// when the next one is fetched: see LastPage.
func Page(v any) []string {
	m, _ := v.(map[string]any)
	data, isList := m["data"].([]any)
	pi, hasPI := m["page_info"]
	if m == nil || !isList || !hasPI {
		return nil
	}
	info, ok := pi.(map[string]any)
	if !ok {
		return []string{fmt.Sprintf("page_info is %s, not an object", Kind(pi))}
	}
	var bad []string
	count, hasCount := info["count"]
	if hasCount {
		if n, ok := Int(count); !ok {
			bad = append(bad, fmt.Sprintf("page_info.count is %s (%s), not an integer", Text(count), Kind(count)))
		} else if n != int64(len(data)) {
			bad = append(bad, fmt.Sprintf("page_info.count is %d, but the page holds %d items", n, len(data)))
		}
	}
	if total, ok := info["total_count"]; ok {
		if n, ok := Int(total); !ok {
			bad = append(bad, fmt.Sprintf("page_info.total_count is %s (%s), not an integer", Text(total), Kind(total)))
		} else if n < int64(len(data)) {
			bad = append(bad, fmt.Sprintf("page_info.total_count is %d, fewer than the %d items of this page", n, len(data)))
		}
	}
	for _, k := range []string{"start_cursor", "end_cursor"} {
		if c, ok := info[k]; ok && c != nil && Kind(c) != String {
			bad = append(bad, fmt.Sprintf("page_info.%s is %s (%s), not a string or null", k, Text(c), Kind(c)))
		}
	}
	if len(data) == 0 && HasNext(v) {
		bad = append(bad, fmt.Sprintf("an empty page has the end_cursor %q: a page with no items is the last, and a pager that follows its cursor asks again for ever", Text(info["end_cursor"])))
	}
	return bad
}

// HasNext reports whether a page's end_cursor asks for another page, by the
// SDK's rule: a string other than "".
func HasNext(v any) bool {
	m, _ := v.(map[string]any)
	info, _ := m["page_info"].(map[string]any)
	c, _ := info["end_cursor"].(string)
	return c != ""
}

// LastPage is what a walk of a list learns when the page an end_cursor led
// to is empty: the page before it was the last and should have said so
// with a null end_cursor (the SDK's pager stops on null; a client that
// shows a "next" link shows one to nothing).
func LastPage(page int, cursor string) string {
	return fmt.Sprintf("page %d's end_cursor %q led to an empty page: the last page's end_cursor must be null", page, cursor)
}

// TokenResponse checks a successful access token response (RFC 6749 §5.1,
// Pipedream's token endpoint docs) as clients parse it:
//
//   - access_token: a non-empty string;
//   - token_type: a string, "Bearer" in any case (§5.1: "Value is case
//     insensitive"; §7.1: a client must not use a token of a type it does
//     not understand);
//   - expires_in: an integer of seconds, more than 0 (golang.org/x/oauth2
//     parses it with strconv.ParseInt; a null reads as "never expires");
//   - scope, when present: a string; created_at, when present: an integer.
func TokenResponse(v any) []string {
	m, ok := v.(map[string]any)
	if !ok {
		return []string{fmt.Sprintf("the token response is %s, not a JSON object", Kind(v))}
	}
	var bad []string
	if s, ok := m["access_token"].(string); !ok || s == "" {
		bad = append(bad, fmt.Sprintf("access_token is %s, not a non-empty string", describe(m, "access_token")))
	}
	if s, ok := m["token_type"].(string); !ok || !EqualFold(s, "Bearer") {
		bad = append(bad, fmt.Sprintf("token_type is %s, not \"Bearer\" (in any case)", describe(m, "token_type")))
	}
	if n, ok := Int(m["expires_in"]); !ok || n <= 0 {
		bad = append(bad, fmt.Sprintf("expires_in is %s, not an integer number of seconds above 0", describe(m, "expires_in")))
	}
	if v, ok := m["scope"]; ok && Kind(v) != String {
		bad = append(bad, fmt.Sprintf("scope is %s, not a string", describe(m, "scope")))
	}
	if v, ok := m["created_at"]; ok && Kind(v) != Integer {
		bad = append(bad, fmt.Sprintf("created_at is %s, not an integer", describe(m, "created_at")))
	}
	return bad
}

// describe names a field's value and type for a message, or says it is
// missing.
func describe(m map[string]any, k string) string {
	v, ok := m[k]
	if !ok {
		return "missing"
	}
	if s, isString := v.(string); isString {
		return fmt.Sprintf("%q (string)", truncate(s, 40))
	}
	return fmt.Sprintf("%s (%s)", truncate(Text(v), 40), Kind(v))
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
