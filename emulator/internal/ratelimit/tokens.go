package ratelimit

import (
	"time"

	"github.com/pdemu/pdemu/emulator/apperr"
	"github.com/pdemu/pdemu/emulator/internal/ids"
)

// TokenLen is the length of a custom rate-limit token: 50 ASCII letters,
// like the one in Pipedream's example response.
const TokenLen = 50

const letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

// CreateToken makes a custom rate limit for a workspace, as POST
// /v1/connect/rate_limits does: requests of that workspace carrying the
// token in x-pd-rate-limit are limited to perWindow per window, counted per
// token, on top of (and even without) the rules. Errors: apperr
// invalid_request naming the wire field (window_size_seconds must be whole
// seconds 1..86400, requests_per_window 1..1000000) or for an empty
// workspace; apperr limit_exceeded when MaxTokens exist.
func (l *Limiter) CreateToken(workspaceID string, window time.Duration, perWindow int) (string, error) {
	if !validWindow(window) {
		return "", apperr.ErrInvalid.WithMessage("window_size_seconds must be a whole number of seconds 1..%d", int(MaxWindow/time.Second))
	}
	if perWindow < 1 || perWindow > MaxLimit {
		return "", apperr.ErrInvalid.WithMessage("requests_per_window must be 1..%d", MaxLimit)
	}
	if workspaceID == "" {
		return "", apperr.ErrInvalid.WithMessage("workspace is required")
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.tokens) >= MaxTokens {
		return "", apperr.Limit(LimitTokens, MaxTokens, "custom rate-limit tokens")
	}
	tok := newToken(l.ids)
	for l.tokens[tok] != (token{}) {
		tok = newToken(l.ids) // 285 random bits: a repeat is a broken generator
	}
	l.tokens[tok] = token{workspaceID: workspaceID, window: int64(window / time.Second), limit: perWindow}
	l.active.Store(true)
	return tok, nil
}

// newToken returns TokenLen random letters. Bytes past the largest
// multiple of 52 are drawn again, so every letter is equally likely: the
// token is a credential.
func newToken(g *ids.Generator) string {
	out := make([]byte, 0, TokenLen)
	var b [64]byte
	for len(out) < TokenLen {
		_, _ = g.Read(b[:]) // never fails
		for _, c := range b {
			if int(c) < 256/len(letters)*len(letters) && len(out) < TokenLen {
				out = append(out, letters[int(c)%len(letters)])
			}
		}
	}
	return string(out)
}
