package glob

import "testing"

func TestMatch(t *testing.T) {
	for _, tc := range []struct {
		pattern, s string
		want       bool
	}{
		{"", "anything", true},
		{"projects.list", "projects.list", true},
		{"projects.list", "projects.lis", false},
		{"projects.list", "projects.lists", false},
		{"accounts.*", "accounts.list", true},
		{"accounts.*", "accounts.", true},
		{"accounts.*", "account.list", false},
		{"*.list", "users.list", true},
		{"components.*|actions.*", "actions.run", true},
		{"components.*|actions.*", "triggers.run", false},
		{"GET|DELETE", "DELETE", true},
		{"GET|DELETE", "PUT", false},
		{"/v1/connect/*/users", "/v1/connect/proj_1/users", true},
		{"/v1/connect/*/users", "/v1/connect/proj_1/x/users", false},
		{"/v1/connect/**", "/v1/connect/proj_1/x/users", true},
		{"/v1/connect/**/users", "/v1/connect/a/b/users", true},
		{"/v1/connect/**/users", "/v1/connect/a/b/accounts", false},
		{"/v1/*", "/v1/", true},
		{"/v1/*", "/v1/a/", false},
		{"/v1/?", "/v1/a", true},
		{"/v1/?", "/v1//", false},
		{"/v1/?", "/v1/ab", false},
		{"*", "", true},
		{"**", "/a/b", true},
		{"a*b*c", "aXbYc", true},
		{"a*b*c", "aXbY", false},
		{"a*/c", "ab/c", true},
		{"a*/c", "ab/d/c", false},
	} {
		g, err := Compile(tc.pattern)
		if err != nil {
			t.Fatalf("Compile(%q): %v", tc.pattern, err)
		}
		if got := g.Match(tc.s); got != tc.want {
			t.Errorf("%q.Match(%q) = %v, want %v", tc.pattern, tc.s, got, tc.want)
		}
	}
}

func TestMatchFold(t *testing.T) {
	g := MustCompile("get|Delete")
	if !g.MatchFold("GET") || !g.MatchFold("delete") || g.MatchFold("POST") {
		t.Fatal("MatchFold ignores case for every alternative")
	}
}

func TestCompileErrors(t *testing.T) {
	for _, p := range []string{"a||b", "|a", "a|", "a***b", string(make([]byte, MaxLen+1))} {
		if _, err := Compile(p); err == nil {
			t.Errorf("Compile(%q) succeeded, want an error", p)
		}
	}
	if !(Pattern{}).IsZero() || MustCompile("x").IsZero() {
		t.Fatal("IsZero is true only for the empty pattern")
	}
	if MustCompile("a|b").String() != "a|b" {
		t.Fatal("String returns the source")
	}
}

func FuzzMatch(f *testing.F) {
	f.Add("/v1/**/x*y?", "/v1/a/b/xzzy1")
	f.Fuzz(func(t *testing.T, p, s string) {
		if g, err := Compile(p); err == nil {
			g.Match(s) // must not panic or hang
		}
	})
}
