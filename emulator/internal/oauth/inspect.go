package oauth

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/pdemu/pdemu/emulator/internal/token"
)

// Status is what a bearer check makes of an access token: valid, or the
// first reason it is refused.
type Status string

// The statuses of an access token, in the order they are judged: the first
// that applies is the token's.
const (
	// StatusMalformed: not a JWT (three base64url parts, the first two
	// JSON objects).
	StatusMalformed Status = "malformed"
	// StatusWrongKey: a JWT, but not signed with this emulator's current
	// key, or not an access token of its issuer. A reset replaces the key
	// (unless ids come from a seed, which draws the same key again), so
	// tokens from before one are here.
	StatusWrongKey Status = "wrong_key"
	// StatusExpired: the clock has reached the exp claim.
	StatusExpired Status = "expired"
	// StatusNotYetValid: the clock is before the nbf claim.
	StatusNotYetValid Status = "not_yet_valid"
	// StatusClientDeleted: the client the token was issued to is gone.
	StatusClientDeleted Status = "client_deleted"
	// StatusRevoked: the token was revoked, or its client was re-created
	// or had its secret rotated with revocation on since it was issued.
	StatusRevoked Status = "revoked"
	// StatusValid: Authenticate accepts the token.
	StatusValid Status = "valid"
)

// verdict is a bearer check's conclusion about one token. Authenticate,
// which must be fast, and Inspect, which explains, both take theirs from
// judge, so that what the console says of a token is what the API does
// with it.
type verdict struct {
	status Status
	// claims are the verified claims; nil when the token did not verify.
	claims *token.Claims
	// client is the token's client; nil unless the status is valid or
	// revoked.
	client *record
	// jtiRevoked says the token itself was revoked, rather than its client
	// re-created or rotated.
	jtiRevoked bool
}

func (v verdict) expiresAt() time.Time { return time.Unix(v.claims.Expiry, 0).UTC() }

// judge checks raw as of now: signature and shape, then time, then the
// client and revocations as they are. It never reports StatusMalformed: a
// token that does not verify is StatusWrongKey here, and Inspect, which
// decodes the token anyway, tells the two apart.
func (s *Server) judge(raw string, now time.Time) verdict {
	c, err := s.keys.Verify(raw)
	if err != nil {
		return verdict{status: StatusWrongKey}
	}
	if !now.Before(time.Unix(c.Expiry, 0)) {
		return verdict{status: StatusExpired, claims: c}
	}
	if now.Before(time.Unix(c.NotBefore, 0)) {
		return verdict{status: StatusNotYetValid, claims: c}
	}
	s.mu.RLock()
	r, ok := s.clients[c.ClientID]
	_, revoked := s.revoked[c.ID]
	s.mu.RUnlock()
	switch {
	case !ok:
		return verdict{status: StatusClientDeleted, claims: c}
	case r.generation != c.Generation || r.WorkspaceID != c.Subject || revoked:
		return verdict{status: StatusRevoked, claims: c, client: r, jtiRevoked: revoked}
	}
	return verdict{status: StatusValid, claims: c, client: r}
}

// Inspection is what Inspect found out about a token, for a person to
// read: its status with a sentence saying why, and what the token claims.
type Inspection struct {
	Status Status
	// Message says in a sentence what Status means for this token.
	Message string
	// Header and Claims are the token's JOSE header and claims as decoded,
	// whether or not the signature verifies (for display only; never
	// trusted); nil when the token is malformed.
	Header map[string]any
	Claims map[string]any
	// Now is the emulator time the token was judged at.
	Now time.Time
	// ExpiresAt is the exp claim; zero when the token has no readable one.
	ExpiresAt time.Time
	// ClientID is the client_id claim; empty when it has none.
	ClientID string
	// ClientName is the name of the client ClientID names, when that
	// client exists now.
	ClientName string
}

// Inspect says whether Authenticate would accept raw now, and if not,
// why, with the token's header and claims decoded for display. The status
// agrees with Authenticate: it accepts raw exactly when the status is
// StatusValid. Inspect never fails; any string gets an answer.
func (s *Server) Inspect(raw string) Inspection {
	now := s.clock.Now()
	in := Inspection{Now: now.UTC()}
	// Judged first, and malformed only among the tokens that do not
	// verify: whatever the decoding below makes of a token, the status
	// stays the one Authenticate acts on.
	v := s.judge(raw, now)
	header, claims, decoded := decodeJWT(raw)
	if !decoded && v.status == StatusWrongKey {
		in.Status = StatusMalformed
		in.Message = "the token is not a JWT: three base64url parts (a JSON header, JSON claims and a signature) separated by dots"
		return in
	}
	in.Header, in.Claims = header, claims
	in.Status = v.status
	if v.claims != nil {
		in.ExpiresAt, in.ClientID = v.expiresAt(), v.claims.ClientID
	} else {
		in.ExpiresAt = unixClaim(claims["exp"])
		in.ClientID, _ = claims["client_id"].(string)
	}
	if in.ClientID != "" {
		if c, err := s.Get(in.ClientID); err == nil {
			in.ClientName = c.Name
		}
	}
	switch v.status {
	case StatusWrongKey:
		in.Message = "the token was not signed with this emulator's current key, or is not an access token of its issuer " +
			"(a reset replaces the key unless ids are seeded: tokens from before it fail)"
	case StatusExpired:
		in.Message = fmt.Sprintf("the access token expired at %s", in.ExpiresAt.Format(time.RFC3339))
	case StatusNotYetValid:
		in.Message = fmt.Sprintf("the access token is not valid until %s (its nbf)", time.Unix(v.claims.NotBefore, 0).UTC().Format(time.RFC3339))
	case StatusClientDeleted:
		in.Message = fmt.Sprintf("the access token's client %s no longer exists; its tokens went with it", in.ClientID)
	case StatusRevoked:
		if v.jtiRevoked {
			in.Message = "the access token was revoked (POST /v1/oauth/revoke)"
		} else {
			in.Message = fmt.Sprintf("the access token was revoked: its client %s was re-created (as a reset re-creates the seeded clients), "+
				"or had its secret rotated with revocation on, since the token was issued", in.ClientID)
		}
	case StatusValid:
		in.Message = fmt.Sprintf("the access token is valid until %s", in.ExpiresAt.Format(time.RFC3339))
	}
	return in
}

// decodeJWT decodes a compact JWS's header and claims without checking
// the signature: three base64url parts (without padding, RFC 7515 §2),
// the first two JSON objects. Numbers are kept as written (json.Number),
// so that an exp shows exactly.
func decodeJWT(raw string) (header, claims map[string]any, ok bool) {
	parts := strings.Split(raw, ".")
	if len(parts) != 3 {
		return nil, nil, false
	}
	if _, err := base64.RawURLEncoding.DecodeString(parts[2]); err != nil {
		return nil, nil, false
	}
	header, ok = decodeJSONPart(parts[0])
	if !ok {
		return nil, nil, false
	}
	claims, ok = decodeJSONPart(parts[1])
	if !ok {
		return nil, nil, false
	}
	return header, claims, true
}

func decodeJSONPart(part string) (map[string]any, bool) {
	b, err := base64.RawURLEncoding.DecodeString(part)
	if err != nil {
		return nil, false
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil || m == nil {
		return nil, false
	}
	if err := dec.Decode(&struct{}{}); !errors.Is(err, io.EOF) {
		return nil, false // data after the object
	}
	return m, true
}

// unixClaim reads a NumericDate claim (RFC 7519 §2) of unverified claims;
// zero when it is absent or not a number.
func unixClaim(v any) time.Time {
	n, ok := v.(json.Number)
	if !ok {
		return time.Time{}
	}
	if i, err := n.Int64(); err == nil {
		return time.Unix(i, 0).UTC()
	}
	if f, err := n.Float64(); err == nil && f > -1e15 && f < 1e15 {
		return time.Unix(int64(f), 0).UTC()
	}
	return time.Time{}
}
