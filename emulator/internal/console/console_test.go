package console

import (
	"regexp"
	"strings"
	"testing"
)

func TestLookup(t *testing.T) {
	tests := []struct {
		name, wantType string
		found          bool
	}{
		{"", "text/html; charset=utf-8", true},
		{"index.html", "text/html; charset=utf-8", true},
		{"app.js", "text/javascript; charset=utf-8", true},
		{"style.css", "text/css; charset=utf-8", true},
		{"favicon.svg", "image/svg+xml", true},
		{"nope.js", "", false},
		{"../console.go", "", false},
		{"static/app.js", "", false},
	}
	for _, tt := range tests {
		a, ok := Lookup(tt.name)
		if ok != tt.found || ok && a.ContentType != tt.wantType {
			t.Errorf("Lookup(%q) = %q, %v; want %q, %v", tt.name, a.ContentType, ok, tt.wantType, tt.found)
		}
		if ok && (len(a.Body) == 0 || !strings.HasPrefix(a.ETag, `"`)) {
			t.Errorf("Lookup(%q): empty body or unquoted ETag %q", tt.name, a.ETag)
		}
	}
}

// TestNoNetwork checks the console loads nothing from elsewhere: no CDN, no
// font service, no analytics. (An SVG's xmlns is a name, not a request.)
func TestNoNetwork(t *testing.T) {
	url := regexp.MustCompile(`(?i)(https?:)?//[a-z0-9.-]+\.[a-z]{2,}`)
	for _, n := range Names() {
		a, _ := Lookup(n)
		for _, m := range url.FindAllString(string(a.Body), -1) {
			if m == "http://www.w3.org" {
				continue
			}
			t.Errorf("%s refers to %s: the console must work without a network", n, m)
		}
	}
}

// TestNoMarkupFromData keeps the script from parsing strings as HTML: the
// journal shows whatever callers sent, so every value goes in as text.
func TestNoMarkupFromData(t *testing.T) {
	a, _ := Lookup("app.js")
	for _, bad := range []string{"innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(", "new Function"} {
		if strings.Contains(string(a.Body), bad) {
			t.Errorf("app.js uses %s", bad)
		}
	}
}
