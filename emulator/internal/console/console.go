// Package console holds pdemu's web console: the page, script and styles
// served at /_emulator/ui/, embedded in the binary so that the console
// needs no network, no CDN and no build step. The console is only a client
// of the control plane; this package serves its files and nothing else.
package console

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"io/fs"
	"mime"
	"path"
	"strings"
)

//go:embed static
var static embed.FS

// Asset is one file of the console, ready to serve.
type Asset struct {
	// Name is the file's name under /_emulator/ui/ ("" is the page).
	Name string
	// Body is the file's content.
	Body []byte
	// ContentType is its media type, with a charset for text.
	ContentType string
	// ETag is a strong validator of Body, quoted as HTTP wants it.
	ETag string
}

// assets are built once: the files never change while the process runs.
var assets = func() map[string]Asset {
	out := map[string]Asset{}
	err := fs.WalkDir(static, "static", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		body, err := static.ReadFile(p)
		if err != nil {
			return err
		}
		name := strings.TrimPrefix(p, "static/")
		sum := sha256.Sum256(body)
		out[name] = Asset{Name: name, Body: body, ContentType: contentType(name), ETag: `"` + hex.EncodeToString(sum[:12]) + `"`}
		return nil
	})
	if err != nil {
		panic("console: reading embedded files: " + err.Error()) // a build without the files is broken
	}
	return out
}()

// contentType names a file's media type by its extension; text types say
// they are UTF-8, so no browser sniffs another charset.
func contentType(name string) string {
	switch path.Ext(name) {
	case ".js":
		return "text/javascript; charset=utf-8"
	case ".svg":
		return "image/svg+xml"
	}
	t := mime.TypeByExtension(path.Ext(name))
	if t == "" {
		return "application/octet-stream"
	}
	return t
}

// Lookup returns the asset named name ("" or "index.html" for the page).
// Only files of the console exist: no name reaches anything else.
func Lookup(name string) (Asset, bool) {
	if name == "" {
		name = "index.html"
	}
	a, ok := assets[name]
	return a, ok
}

// Names lists the console's files, for tests and docs.
func Names() []string {
	out := make([]string, 0, len(assets))
	for n := range assets {
		out = append(out, n)
	}
	return out
}

// ContentSecurityPolicy is sent with every file: the page runs only its own
// script and style, talks only to its own origin, and may not be framed, so
// that no other origin can put it in front of a user or read from it.
const ContentSecurityPolicy = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
