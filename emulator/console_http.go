package emulator

import (
	"net/http"

	"github.com/pdemu/pdemu/emulator/apperr"
	"github.com/pdemu/pdemu/emulator/internal/console"
)

// ConsolePath is where the web console is served: a page that drives the
// control plane from the same origin, and is nothing more than its client.
const ConsolePath = "/_emulator/ui/"

// The console's rows are control-plane rows marked page: the guard's Host
// and Origin rules apply to them as to any, so no other origin can load the
// page through DNS rebinding or read it; the control token does not, since
// a browser cannot send one when it navigates, and the files hold nothing
// but the console's own code. The page asks for the token when the control
// plane first refuses it.

// consoleRedirect sends /_emulator/ui to /_emulator/ui/, so that the page's
// relative links resolve under it.
func (e *Emulator) consoleRedirect(*http.Request, *call) (response, error) {
	return response{status: http.StatusMovedPermanently, header: map[string]string{"Location": ConsolePath},
		contentType: "text/plain; charset=utf-8", raw: []byte("the console is at " + ConsolePath + "\n")}, nil
}

// consoleFile serves one of the console's embedded files.
func (e *Emulator) consoleFile(r *http.Request, c *call) (response, error) {
	a, found := console.Lookup(c.vars["file"])
	if !found {
		return response{}, apperr.ErrNotFound.WithMessage("the console has no file %q", truncate(c.vars["file"], 100))
	}
	hdr := map[string]string{
		"Content-Security-Policy":      console.ContentSecurityPolicy,
		"X-Frame-Options":              "DENY",
		"X-Content-Type-Options":       "nosniff",
		"Referrer-Policy":              "no-referrer",
		"Cross-Origin-Resource-Policy": "same-origin",
		"Cross-Origin-Opener-Policy":   "same-origin",
		// Revalidated on every load: a new pdemu binary serves new files
		// under the same names.
		"Cache-Control": "no-cache",
		"ETag":          a.ETag,
	}
	if r.Header.Get("If-None-Match") == a.ETag {
		return response{status: http.StatusNotModified, header: hdr, raw: []byte{}}, nil
	}
	return response{status: http.StatusOK, header: hdr, contentType: a.ContentType, raw: a.Body}, nil
}
