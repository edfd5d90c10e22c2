package connect

import (
	"bytes"
	"encoding/base64"
	"strings"
	"time"

	"github.com/pdemu/pdemu/emulator/apperr"
)

// MaxLogoBytes bounds a decoded project logo. Pipedream documents no limit;
// 32 KiB keeps the largest logo's data URI (about 44 KB of base64) inside
// the emulator's default 64 KiB request-body limit, so an oversized logo
// gets this check's clear 400 rather than a 413 from the body limit.
const MaxLogoBytes = 32 << 10

// ProjectLogo is a project's logo, as uploaded.
type ProjectLogo struct {
	// MediaType is the image type: image/png, image/jpeg, image/gif,
	// image/webp or image/svg+xml.
	MediaType string
	Data      []byte
	UpdatedAt time.Time
}

// logoTypes are the image types a logo may have, each with a check that the
// bytes are such an image, so a data URI that only claims a type fails.
var logoTypes = map[string]func([]byte) bool{
	"image/png":  func(b []byte) bool { return bytes.HasPrefix(b, []byte("\x89PNG\r\n\x1a\n")) },
	"image/jpeg": func(b []byte) bool { return bytes.HasPrefix(b, []byte{0xFF, 0xD8, 0xFF}) },
	"image/gif": func(b []byte) bool {
		return bytes.HasPrefix(b, []byte("GIF87a")) || bytes.HasPrefix(b, []byte("GIF89a"))
	},
	"image/webp": func(b []byte) bool {
		return len(b) >= 12 && string(b[:4]) == "RIFF" && string(b[8:12]) == "WEBP"
	},
	"image/svg+xml": func(b []byte) bool { return bytes.Contains(b, []byte("<svg")) },
}

// errBadLogo is the one error a bad logo gets, with Pipedream's wording
// ("invalid logo data") followed by what is wrong.
func errBadLogo(format string, args ...any) error {
	return apperr.ErrInvalid.WithMessage("invalid logo data: "+format, args...)
}

// ParseLogo reads a logo data URI (RFC 2397), data:<image type>[;param=value]…;base64,<data>,
// and returns its media type and decoded bytes. The type must be one of
// the image types above, the data valid base64 (padded or not) of 1 to
// MaxLogoBytes bytes that look like that type. Errors: invalid_request.
func ParseLogo(uri string) (mediaType string, data []byte, err error) {
	rest, ok := cutPrefixFold(uri, "data:")
	if !ok {
		return "", nil, errBadLogo("logo must be a data URI: data:image/png;base64,…")
	}
	header, payload, ok := strings.Cut(rest, ",")
	if !ok {
		return "", nil, errBadLogo("the data URI has no comma before its data")
	}
	params := strings.Split(header, ";")
	mediaType = strings.ToLower(strings.TrimSpace(params[0]))
	sniff, known := logoTypes[mediaType]
	if !known {
		return "", nil, errBadLogo("logo type %q is not one of image/png, image/jpeg, image/gif, image/webp, image/svg+xml", truncateString(params[0], 60))
	}
	if !strings.EqualFold(params[len(params)-1], "base64") {
		return "", nil, errBadLogo("the data URI must be base64-encoded (…;base64,…)")
	}
	if payload == "" {
		return "", nil, errBadLogo("the logo is empty")
	}
	if base64.StdEncoding.DecodedLen(len(payload)) > MaxLogoBytes+2 {
		return "", nil, errBadLogo("the logo is larger than %d bytes", MaxLogoBytes)
	}
	enc := base64.StdEncoding
	if !strings.HasSuffix(payload, "=") && len(payload)%4 != 0 {
		enc = base64.RawStdEncoding
	}
	data, err = enc.Strict().DecodeString(payload)
	if err != nil {
		return "", nil, errBadLogo("the data is not valid base64")
	}
	switch {
	case len(data) > MaxLogoBytes:
		return "", nil, errBadLogo("the logo is larger than %d bytes", MaxLogoBytes)
	case !sniff(data):
		return "", nil, errBadLogo("the data is not a %s image", mediaType)
	}
	return mediaType, data, nil
}

func cutPrefixFold(s, prefix string) (string, bool) {
	if len(s) < len(prefix) || !strings.EqualFold(s[:len(prefix)], prefix) {
		return s, false
	}
	return s[len(prefix):], true
}

func truncateString(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// SetProjectLogo uploads or replaces a project's logo from a data URI.
// Errors: invalid_request for bad logo data (checked first, so a refused
// logo changes nothing), not_found for the project.
func (s *Store) SetProjectLogo(a Access, projectID, dataURI string) (ProjectLogo, error) {
	mediaType, data, err := ParseLogo(dataURI)
	if err != nil {
		return ProjectLogo{}, err
	}
	now := s.clock.Now()
	s.lock()
	defer s.mu.Unlock()
	p, err := s.project(a, projectID)
	if err != nil {
		return ProjectLogo{}, err
	}
	p.logo = &ProjectLogo{MediaType: mediaType, Data: data, UpdatedAt: now}
	return copyLogo(p.logo), nil
}

// ProjectLogo returns a project's logo; found is false when it has none.
// Errors: not_found for the project.
func (s *Store) ProjectLogo(a Access, projectID string) (logo ProjectLogo, found bool, err error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	p, err := s.project(a, projectID)
	if err != nil {
		return ProjectLogo{}, false, err
	}
	if p.logo == nil {
		return ProjectLogo{}, false, nil
	}
	return copyLogo(p.logo), true, nil
}

func copyLogo(l *ProjectLogo) ProjectLogo {
	c := *l
	c.Data = bytes.Clone(l.Data)
	return c
}
