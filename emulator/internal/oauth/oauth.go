// Package oauth is the emulator's authorization server: the workspace's
// OAuth clients (create, list, rotate the secret, delete), the client
// credentials grant (RFC 6749 §4.4) and the bearer check that protected
// endpoints run (RFC 6750). It knows nothing of HTTP.
package oauth

import (
	"crypto/sha256"
	"crypto/subtle"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/pdemu/pdemu/emulator/apperr"
	"github.com/pdemu/pdemu/emulator/clock"
	"github.com/pdemu/pdemu/emulator/internal/expiry"
	"github.com/pdemu/pdemu/emulator/internal/ids"
	"github.com/pdemu/pdemu/emulator/internal/names"
	"github.com/pdemu/pdemu/emulator/internal/paging"
	"github.com/pdemu/pdemu/emulator/internal/scope"
	"github.com/pdemu/pdemu/emulator/internal/seqset"
	"github.com/pdemu/pdemu/emulator/internal/token"
)

// GrantClientCredentials is the only grant type Pipedream supports.
const GrantClientCredentials = "client_credentials"

// DefaultTTL is the lifetime of an access token: one hour, as documented.
const DefaultTTL = time.Hour

// ClientSpec describes a client to create.
type ClientSpec struct {
	// ID fixes the client id (for seeds and scripts); empty makes one up.
	ID string
	// Secret fixes the client secret; empty makes a 256-bit random one.
	Secret string
	// Name is required, 1..200 characters.
	Name string
	// WorkspaceID is the workspace (o_…) the client's tokens act for; it
	// becomes the tokens' sub claim.
	WorkspaceID string
	// Scopes limits what the client's tokens may be granted (space-separated,
	// as on the token endpoint); empty means "*".
	Scopes string
	// ProjectIDs, when set, limits the client's tokens to these projects
	// (Pipedream's announced "limit access to specific projects").
	ProjectIDs []string
}

// Client is what may be shown of a client: never its secret.
type Client struct {
	ID              string
	Name            string
	WorkspaceID     string
	Scopes          scope.Set
	ProjectIDs      []string
	CreatedAt       time.Time
	SecretRotatedAt time.Time
}

// Credentials is a client id with its plaintext secret: returned once, on
// creation or rotation, and never again.
type Credentials struct {
	ClientID     string
	ClientSecret string
}

// TokenRequest is a client credentials token request, however it arrived
// (JSON, form body or HTTP Basic).
type TokenRequest struct {
	GrantType    string
	ClientID     string
	ClientSecret string
	Scope        string
}

// RevokeRequest is a token revocation request (RFC 7009 §2.1), however it
// arrived (JSON, form body or HTTP Basic). A token_type_hint, which RFC 7009
// lets a server ignore, is not part of it.
type RevokeRequest struct {
	Token        string
	ClientID     string
	ClientSecret string
}

// Token is an issued access token.
type Token struct {
	AccessToken string
	TokenType   string // always "Bearer"
	ExpiresIn   int    // seconds
	CreatedAt   time.Time
	ExpiresAt   time.Time
	Scopes      scope.Set
}

// Principal is who a valid bearer token speaks for.
type Principal struct {
	ClientID    string
	WorkspaceID string
	Scopes      scope.Set
	// ProjectIDs is the client's project restriction; nil means every
	// project of the workspace.
	ProjectIDs []string
	TokenID    string
	ExpiresAt  time.Time
}

// CanSeeProject reports whether the principal may act on a project of its
// workspace with the given id.
func (p Principal) CanSeeProject(id string) bool {
	return p.ProjectIDs == nil || slices.Contains(p.ProjectIDs, id)
}

type record struct {
	Client
	secretHash [sha256.Size]byte
	// generation is what a token's cgen claim must equal. Every new client
	// record and every revoking rotation draws a fresh value from a counter
	// that never repeats, so a client re-created under the same id does not
	// revive its predecessor's tokens. It also orders the clients by
	// creation (see Server.order): a rotation keeps the creation value in
	// seq.
	generation uint64
	seq        uint64
}

// Server holds the clients and issues and checks tokens. It is safe for
// concurrent use.
type Server struct {
	clock          clock.Clock
	keys           *token.Keys
	ttl            time.Duration
	revokeOnRotate bool
	ids            *ids.Generator

	mu         sync.RWMutex
	clients    map[string]*record
	order      seqset.Set[*record] // by creation, for listing
	nextGen    uint64
	maxClients int

	// revoked holds the jti of every access token revoked before it
	// expired, and revokedByExpiry files the same ids by the tokens' exp:
	// a token is refused from its exp on anyway, so its entry is dropped
	// then (on the next revocation) and the set holds only live tokens.
	// Setting the clock back before a dropped token's exp revives it, as
	// it revives any expired token: the JWTs are self-contained.
	revoked         map[string]struct{}
	revokedByExpiry expiry.Queue[string]
	revokedSeq      uint64
}

// Config configures a Server.
type Config struct {
	Clock clock.Clock
	Keys  *token.Keys
	// TTL is the access-token lifetime; zero means DefaultTTL.
	TTL time.Duration
	// RevokeOnRotate makes a secret rotation revoke the client's tokens at
	// once. By default they stay valid until they expire.
	RevokeOnRotate bool
	// MaxClients caps how many clients exist at once; zero means
	// DefaultMaxClients.
	MaxClients int
	// IDs makes client ids, secrets and token ids (jti); nil means a
	// generator reading crypto/rand.
	IDs *ids.Generator
}

// DefaultMaxClients is how many OAuth clients a Server keeps unless told
// otherwise: far more than a workspace's settings page ever lists.
const DefaultMaxClients = 10_000

// LimitClients names the clients' cap in limit_exceeded errors and in
// pdemu's --limit flag.
const LimitClients = "oauth-clients"

// NewServer returns a Server with no clients.
func NewServer(cfg Config) *Server {
	if cfg.TTL <= 0 {
		cfg.TTL = DefaultTTL
	}
	if cfg.MaxClients <= 0 {
		cfg.MaxClients = DefaultMaxClients
	}
	if cfg.IDs == nil {
		cfg.IDs = ids.NewRandom()
	}
	return &Server{
		clock: cfg.Clock, keys: cfg.Keys, ttl: cfg.TTL, revokeOnRotate: cfg.RevokeOnRotate, ids: cfg.IDs,
		clients: make(map[string]*record), maxClients: cfg.MaxClients,
		revoked: make(map[string]struct{}),
	}
}

func hashSecret(s string) [sha256.Size]byte { return sha256.Sum256([]byte(s)) }

// Create adds a client and returns it with its secret, the only time the
// secret is shown. Errors: apperr invalid_request for a bad name, scope or
// id; apperr conflict when the id is taken.
func (s *Server) Create(spec ClientSpec) (Client, Credentials, error) {
	if err := names.Validate("client", spec.Name); err != nil {
		return Client{}, Credentials{}, err
	}
	allowed, err := scope.Parse(spec.Scopes)
	if err != nil {
		return Client{}, Credentials{}, apperr.ErrInvalid.WithMessage("scopes: %v", err)
	}
	if spec.WorkspaceID == "" {
		return Client{}, Credentials{}, apperr.ErrInvalid.WithMessage("workspace is required")
	}
	if spec.ID == "" {
		spec.ID = s.ids.New("oc_", 16)
	} else if err := validateCredential("client id", spec.ID); err != nil {
		return Client{}, Credentials{}, err
	}
	if spec.Secret == "" {
		spec.Secret = s.ids.Secret()
	} else if err := validateCredential("client secret", spec.Secret); err != nil {
		return Client{}, Credentials{}, err
	}
	now := s.clock.Now()
	rec := &record{
		Client: Client{
			ID: spec.ID, Name: spec.Name, WorkspaceID: spec.WorkspaceID,
			Scopes: allowed, ProjectIDs: slices.Clone(spec.ProjectIDs),
			CreatedAt: now, SecretRotatedAt: now,
		},
		secretHash: hashSecret(spec.Secret),
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, taken := s.clients[spec.ID]; taken {
		return Client{}, Credentials{}, apperr.ErrConflict.WithMessage("client %q already exists", spec.ID)
	}
	if len(s.clients) >= s.maxClients {
		return Client{}, Credentials{}, apperr.Limit(LimitClients, s.maxClients, "OAuth clients")
	}
	s.nextGen++
	rec.generation, rec.seq = s.nextGen, s.nextGen
	s.clients[spec.ID] = rec
	s.order.Add(rec.seq, rec)
	return rec.view(), Credentials{ClientID: spec.ID, ClientSecret: spec.Secret}, nil
}

// validateCredential keeps fixed ids and secrets printable and bounded, so
// they survive HTTP Basic, form encoding and shell export lines.
func validateCredential(what, v string) error {
	if len(v) > 256 {
		return apperr.ErrInvalid.WithMessage("%s is longer than 256 bytes", what)
	}
	for i := 0; i < len(v); i++ {
		if v[i] <= ' ' || v[i] > '~' {
			return apperr.ErrInvalid.WithMessage("%s must be printable ASCII without spaces", what)
		}
	}
	return nil
}

func (r *record) view() Client {
	c := r.Client
	c.Scopes = slices.Clone(r.Scopes)
	c.ProjectIDs = slices.Clone(r.ProjectIDs)
	return c
}

// List returns the clients of a workspace ("" for every workspace) in
// creation order. No secret is in the result.
func (s *Server) List(workspaceID string) []Client {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := make([]Client, 0, s.order.Len())
	for _, r := range s.order.All() {
		if workspaceID == "" || r.WorkspaceID == workspaceID {
			out = append(out, r.view())
		}
	}
	return out
}

// Page returns one page of the clients, oldest first, as the API's lists
// page. No secret is in the result. Errors: invalid_request for a cursor
// of another list.
func (s *Server) Page(req paging.Request) (paging.Page[Client], error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	page, err := seqset.Page(&s.order, req, nil)
	return paging.Map(page, (*record).view), err
}

// Get returns one client. Errors: apperr not_found.
func (s *Server) Get(id string) (Client, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	r, ok := s.clients[id]
	if !ok {
		return Client{}, notFound(id)
	}
	return r.view(), nil
}

func notFound(id string) error { return apperr.ErrNotFound.WithMessage("no OAuth client %q", id) }

// RotateSecret replaces a client's secret and returns the new one, the only
// time it is shown. The old secret fails at once; tokens already issued stay
// valid until they expire unless the server revokes on rotation.
// Errors: apperr not_found.
func (s *Server) RotateSecret(id string) (Client, Credentials, error) {
	secret := s.ids.Secret()
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.clients[id]
	if !ok {
		return Client{}, Credentials{}, notFound(id)
	}
	// Replace the record rather than mutate it: Authenticate reads records
	// under a read lock and must never see a half-written hash.
	next := *r
	next.secretHash = hashSecret(secret)
	next.SecretRotatedAt = s.clock.Now()
	if s.revokeOnRotate {
		s.nextGen++
		next.generation = s.nextGen
	}
	s.clients[id] = &next
	s.order.Add(next.seq, &next)
	return next.view(), Credentials{ClientID: id, ClientSecret: secret}, nil
}

// Delete removes a client; its secret and every token it was issued fail at
// once. Errors: apperr not_found.
func (s *Server) Delete(id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.clients[id]
	if !ok {
		return notFound(id)
	}
	delete(s.clients, id)
	s.order.Delete(r.seq)
	return nil
}

// DeleteAll removes every client, for a reset, and forgets every
// revocation. Their tokens fail at once.
func (s *Server) DeleteAll() {
	s.mu.Lock()
	defer s.mu.Unlock()
	clear(s.clients)
	s.order = seqset.Set[*record]{}
	clear(s.revoked)
	s.revokedByExpiry = expiry.Queue[string]{}
}

// dummyHash is compared against when the client id is unknown, so a wrong id
// and a wrong secret take the same time.
var dummyHash = hashSecret("pdemu: no such client")

// authenticateClient checks a client id and secret in constant time.
func (s *Server) authenticateClient(id, secret string) (*record, bool) {
	got := hashSecret(secret)
	s.mu.RLock()
	r, ok := s.clients[id]
	s.mu.RUnlock()
	want := dummyHash
	if ok {
		want = r.secretHash
	}
	match := subtle.ConstantTimeCompare(got[:], want[:]) == 1
	return r, ok && match
}

// Issue runs the client credentials grant (RFC 6749 §4.4.2–4.4.3).
// Errors: ErrInvalidRequest (missing field), ErrUnsupportedGrantType,
// ErrInvalidClient (unknown client or wrong secret), ErrInvalidScope
// (malformed, unknown, or beyond what the client may have).
func (s *Server) Issue(req TokenRequest) (Token, error) {
	rec, err := s.authenticate(req)
	if err != nil {
		return Token{}, err
	}
	return s.issue(rec, req.Scope)
}

// Mint issues an access token to a client without its secret: the
// control plane's power, for a console or a script that holds no secret.
// The token is of the same kind as one Issue makes, checked the same way;
// scopes is the request's scope parameter as on the token endpoint (blank
// means the client's own scopes). Errors: apperr not_found (unknown
// client), ErrInvalidScope (malformed, unknown, or beyond the client's).
func (s *Server) Mint(clientID, scopes string) (Token, error) {
	s.mu.RLock()
	rec, ok := s.clients[clientID]
	s.mu.RUnlock()
	if !ok {
		return Token{}, notFound(clientID)
	}
	return s.issue(rec, scopes)
}

// authenticate checks a token request's grant type and client
// credentials, and returns the client's record.
func (s *Server) authenticate(req TokenRequest) (*record, error) {
	switch {
	case req.GrantType == "":
		return nil, ErrInvalidRequest.WithMessage("grant_type is required")
	case req.GrantType != GrantClientCredentials:
		return nil, ErrUnsupportedGrantType.WithMessage("grant_type must be %q", GrantClientCredentials)
	case req.ClientID == "":
		return nil, ErrInvalidRequest.WithMessage("client_id is required")
	case req.ClientSecret == "":
		return nil, ErrInvalidRequest.WithMessage("client_secret is required")
	}
	rec, ok := s.authenticateClient(req.ClientID, req.ClientSecret)
	if !ok {
		return nil, ErrInvalidClient.WithMessage("unknown client or wrong client secret")
	}
	return rec, nil
}

// issue signs an access token for the client of rec with the scopes
// requested (blank: all the client may have). Issue and Mint share it, so
// that a minted token cannot differ from an issued one.
func (s *Server) issue(rec *record, requested string) (Token, error) {
	granted := rec.Scopes
	if strings.Trim(requested, " ") != "" {
		parsed, err := scope.Parse(requested)
		if err != nil {
			return Token{}, ErrInvalidScope.WithMessage("%v", err)
		}
		if !rec.Scopes.CoversAll(parsed) {
			return Token{}, ErrInvalidScope.WithMessage("this client may be granted at most %q", rec.Scopes.String())
		}
		granted = parsed
	}

	now := s.clock.Now()
	iat := now.Unix()
	claims := &token.Claims{
		ID:         s.ids.UUID(),
		Issuer:     s.keys.Issuer(),
		IssuedAt:   iat,
		NotBefore:  iat - 5,
		Expiry:     iat + int64(s.ttl/time.Second),
		TokenType:  token.TypeAccess,
		Audience:   token.Audience,
		Subject:    rec.WorkspaceID,
		Scopes:     granted,
		ClientID:   rec.ID,
		Generation: rec.generation,
	}
	return Token{
		AccessToken: s.keys.Sign(claims),
		TokenType:   "Bearer",
		ExpiresIn:   int(s.ttl / time.Second),
		CreatedAt:   time.Unix(iat, 0).UTC(),
		ExpiresAt:   time.Unix(claims.Expiry, 0).UTC(),
		Scopes:      slices.Clone(granted),
	}, nil
}

// Authenticate checks a bearer access token against the clock and the
// clients as they are now. Errors: ErrMissingToken for an empty token,
// ErrInvalidToken for one that is malformed, forged, expired, not yet valid,
// or revoked (client deleted, secret rotated with revocation on, or the
// token revoked by Revoke). The verified-token cache of token.Keys holds
// claims only: revocation is looked up here on every call. Inspect judges
// with the same function, so the two never disagree.
func (s *Server) Authenticate(raw string) (Principal, error) {
	if raw == "" {
		return Principal{}, ErrMissingToken.WithMessage("a bearer token is required")
	}
	v := s.judge(raw, s.clock.Now())
	switch v.status {
	case StatusValid:
	case StatusExpired:
		return Principal{}, ErrInvalidToken.WithMessage("the access token expired at %s", v.expiresAt().Format(time.RFC3339))
	case StatusNotYetValid:
		return Principal{}, ErrInvalidToken.WithMessage("the access token is not valid yet")
	case StatusRevoked, StatusClientDeleted:
		return Principal{}, ErrInvalidToken.WithMessage("the access token was revoked")
	default:
		return Principal{}, ErrInvalidToken.WithMessage("the access token is malformed or was not issued by this server")
	}
	c := v.claims
	return Principal{
		ClientID: c.ClientID, WorkspaceID: c.Subject, Scopes: scope.Set(c.Scopes),
		ProjectIDs: v.client.ProjectIDs, TokenID: c.ID, ExpiresAt: v.expiresAt(),
	}, nil
}

// Revoke revokes an access token at its client's request (RFC 7009 §2.1):
// from then on Authenticate refuses it. The client authenticates as on the
// token endpoint, in constant time. As RFC 7009 §2.2 has it, a token that is
// unknown, malformed, forged, already expired or already revoked is no
// error: there is nothing to revoke. Neither is a token issued to another
// client, which is left untouched: RFC 7009 §2.1 has the server check the
// token was issued to the caller, and answering as for an unknown token
// tells a caller nothing of other clients' tokens (ory/fosite does the
// same). Errors: ErrInvalidRequest (missing field), ErrInvalidClient
// (unknown client or wrong secret).
func (s *Server) Revoke(req RevokeRequest) error {
	switch {
	case req.Token == "":
		return ErrInvalidRequest.WithMessage("token is required")
	case req.ClientID == "":
		return ErrInvalidRequest.WithMessage("client_id is required")
	case req.ClientSecret == "":
		return ErrInvalidRequest.WithMessage("client_secret is required")
	}
	if _, ok := s.authenticateClient(req.ClientID, req.ClientSecret); !ok {
		return ErrInvalidClient.WithMessage("unknown client or wrong client secret")
	}
	s.revoke(req.Token, req.ClientID)
	return nil
}

// RevokeAny revokes an access token whichever client it was issued to, as
// if that client had asked: a power of the Go API, which no HTTP caller
// has. It reports whether the token was live and is now revoked.
func (s *Server) RevokeAny(raw string) bool { return s.revoke(raw, "") }

// revoke adds raw's jti to the revoked set if raw is a live token of
// clientID ("" for any client), and drops the entries of tokens that
// expired since the last revocation. It reports whether it added one.
func (s *Server) revoke(raw, clientID string) bool {
	// Verified before the lock: a signature check of a token not seen
	// before must not hold up every bearer check.
	c, err := s.keys.Verify(raw)
	now := s.clock.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.revokedByExpiry.PopExpired(now, func(jti string) { delete(s.revoked, jti) })
	if err != nil || (clientID != "" && c.ClientID != clientID) {
		return false
	}
	exp := time.Unix(c.Expiry, 0)
	if !now.Before(exp) {
		return false // expired: refused already
	}
	if r, ok := s.clients[c.ClientID]; !ok || r.generation != c.Generation || r.WorkspaceID != c.Subject {
		return false // revoked already with its client's deletion or rotation
	}
	if _, dup := s.revoked[c.ID]; dup {
		return false
	}
	s.revoked[c.ID] = struct{}{}
	s.revokedSeq++
	s.revokedByExpiry.Add(exp, s.revokedSeq, c.ID)
	return true
}

// Prune forgets the revocations of tokens that have expired since, as a
// clock moved by the control plane expires them, rather than at the next
// revocation.
func (s *Server) Prune() {
	now := s.clock.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.revokedByExpiry.PopExpired(now, func(jti string) { delete(s.revoked, jti) })
}

// RevokedCount reports how many revoked tokens are remembered: those
// revoked before their exp, until a revocation or Prune after their exp
// drops them.
func (s *Server) RevokedCount() int {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return len(s.revoked)
}

// Count reports how many clients exist.
func (s *Server) Count() int {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return len(s.clients)
}

// MaxClients reports the cap on clients.
func (s *Server) MaxClients() int { return s.maxClients }

// RevokesOnRotate reports whether rotating a secret revokes issued tokens.
func (s *Server) RevokesOnRotate() bool { return s.revokeOnRotate }
