package oauth

import (
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/pdemu/pdemu/emulator/apperr"
	"github.com/pdemu/pdemu/emulator/internal/expiry"
	"github.com/pdemu/pdemu/emulator/internal/names"
	"github.com/pdemu/pdemu/emulator/internal/scope"
	"github.com/pdemu/pdemu/emulator/internal/seqset"
)

// State is everything a Server holds that a later Server needs to behave
// as this one did: the clients, the generation counter and the revoked
// tokens. It holds no secret in the clear, only SHA-256 hashes of the
// client secrets; but the token.Keys state that must travel with it (for
// issued tokens to keep verifying) holds a private key.
//
// Configuration is not state: the clock, the keys, the token TTL,
// RevokeOnRotate and MaxClients belong to the importing Server. Neither
// is what is derived from the state: the creation-order index and the
// revocations' expiry queue are rebuilt by Import.
type State struct {
	// Clients are the clients in creation order (by Seq).
	Clients []ClientState `json:"clients"`
	// LastGeneration is the last value drawn from the generation counter:
	// the next client, or the next revoking rotation, draws
	// LastGeneration+1. It may exceed every client's Generation (the
	// newest client was deleted) and must travel anyway: a client
	// re-created under a deleted one's id must not get its generation
	// back, or the deleted client's tokens would authenticate again.
	LastGeneration uint64 `json:"last_generation"`
	// Revoked are the access tokens revoked before they expired, by their
	// jti, sorted by exp then jti. Entries past their exp are kept until a
	// revocation or Prune drops them, as the Server itself keeps them.
	Revoked []RevokedToken `json:"revoked"`
}

// ClientState is one client as State keeps it.
type ClientState struct {
	// ID is the client id (oc_…, or the one fixed at creation).
	ID string `json:"id"`
	// Name is the client's name.
	Name string `json:"name"`
	// WorkspaceID is the workspace the client's tokens act for.
	WorkspaceID string `json:"workspace_id"`
	// Scopes is what the client's tokens may be granted; never empty.
	Scopes []string `json:"scopes"`
	// ProjectIDs limits the client's tokens to these projects; null means
	// every project of the workspace, and [] means none, so the two are
	// kept apart.
	ProjectIDs []string `json:"project_ids"`
	// CreatedAt is when the client was created.
	CreatedAt time.Time `json:"created_at"`
	// SecretRotatedAt is when its secret was last set.
	SecretRotatedAt time.Time `json:"secret_rotated_at"`
	// SecretHash is the SHA-256 of the client secret, as 64 lowercase hex
	// digits: enough to authenticate the client with its secret, not to
	// recover the secret.
	SecretHash string `json:"secret_hash"`
	// Generation is the value a token's cgen claim must equal for the
	// token to authenticate.
	Generation uint64 `json:"generation"`
	// Seq is the generation the client was created with; it orders the
	// clients and names them in page cursors, and never changes.
	Seq uint64 `json:"seq"`
}

// RevokedToken is one revoked access token.
type RevokedToken struct {
	// JTI is the token's jti claim.
	JTI string `json:"jti"`
	// Expiry is the token's exp claim, in Unix seconds: from then on the
	// token is refused anyway and its entry may be dropped.
	Expiry int64 `json:"exp"`
}

// maxJTILen bounds a revoked token's jti; issued ones are 36-byte UUIDs.
const maxJTILen = 256

// Export returns the Server's state: clients in creation order, revoked
// tokens by exp then jti, so that the same Server exports the same bytes.
func (s *Server) Export() State {
	s.mu.RLock()
	defer s.mu.RUnlock()
	st := State{
		Clients:        make([]ClientState, 0, s.order.Len()),
		LastGeneration: s.nextGen,
		Revoked:        make([]RevokedToken, 0, len(s.revoked)),
	}
	for _, r := range s.order.All() {
		st.Clients = append(st.Clients, ClientState{
			ID: r.ID, Name: r.Name, WorkspaceID: r.WorkspaceID,
			Scopes: slices.Clone([]string(r.Scopes)), ProjectIDs: slices.Clone(r.ProjectIDs),
			CreatedAt: r.CreatedAt.UTC(), SecretRotatedAt: r.SecretRotatedAt.UTC(),
			SecretHash: hex.EncodeToString(r.secretHash[:]),
			Generation: r.generation, Seq: r.seq,
		})
	}
	// The revoked set keeps no exp per jti; the expiry queue files each
	// revoked jti once, by its exp.
	for at, jti := range s.revokedByExpiry.All() {
		st.Revoked = append(st.Revoked, RevokedToken{JTI: jti, Expiry: at.Unix()})
	}
	slices.SortFunc(st.Revoked, func(a, b RevokedToken) int {
		return cmp.Or(cmp.Compare(a.Expiry, b.Expiry), strings.Compare(a.JTI, b.JTI))
	})
	return st
}

// ValidateState checks st on its own, without a Server. Errors: apperr
// invalid_request whose message starts with the JSON path of the first
// bad value, e.g. "clients[2].secret_hash: must be 64 hex digits".
func ValidateState(st State) error {
	ids := make(map[string]int, len(st.Clients))
	gens := make(map[uint64]int, len(st.Clients))
	var lastSeq uint64
	for i, c := range st.Clients {
		at := func(field string) string { return "clients[" + itoa(i) + "]." + field }
		if err := validateStateID(at("id"), c.ID, 256); err != nil {
			return err
		}
		if j, dup := ids[c.ID]; dup {
			return invalidAt(at("id"), "%q is already the id of clients[%d]", c.ID, j)
		}
		ids[c.ID] = i
		if err := names.Validate("client", c.Name); err != nil {
			return invalidAt(at("name"), "%s", apperr.As(err).Message)
		}
		if c.WorkspaceID == "" {
			return invalidAt(at("workspace_id"), "is required")
		}
		if err := validateScopes(at("scopes"), c.Scopes); err != nil {
			return err
		}
		for k, p := range c.ProjectIDs {
			if p == "" {
				return invalidAt(at("project_ids")+"["+itoa(k)+"]", "must not be empty")
			}
		}
		if h, err := hex.DecodeString(c.SecretHash); err != nil || len(h) != sha256.Size {
			return invalidAt(at("secret_hash"), "must be %d hex digits", 2*sha256.Size)
		}
		if c.Seq == 0 || c.Seq <= lastSeq {
			// Listing, paging and cursors go by seq: the order must be
			// the creation order the exporter had.
			return invalidAt(at("seq"), "must be greater than %d: clients are in creation order, by seq from 1", lastSeq)
		}
		lastSeq = c.Seq
		if c.Generation < c.Seq {
			return invalidAt(at("generation"), "must be at least the client's seq %d: a client is created with generation = seq, and rotations only raise it", c.Seq)
		}
		if c.Generation > st.LastGeneration {
			return invalidAt(at("generation"), "must be at most last_generation %d, the last generation drawn", st.LastGeneration)
		}
		if j, dup := gens[c.Generation]; dup {
			return invalidAt(at("generation"), "%d is already the generation of clients[%d]; every generation is drawn once", c.Generation, j)
		}
		gens[c.Generation] = i
	}
	jtis := make(map[string]int, len(st.Revoked))
	for i, r := range st.Revoked {
		at := func(field string) string { return "revoked[" + itoa(i) + "]." + field }
		if err := validateStateID(at("jti"), r.JTI, maxJTILen); err != nil {
			return err
		}
		if j, dup := jtis[r.JTI]; dup {
			return invalidAt(at("jti"), "%q is already revoked[%d]", r.JTI, j)
		}
		jtis[r.JTI] = i
		if r.Expiry <= 0 {
			return invalidAt(at("exp"), "must be a positive Unix time, not %d", r.Expiry)
		}
	}
	return nil
}

// validateStateID checks an id as Create checks a fixed client id:
// printable ASCII without spaces, so it survives every encoding.
func validateStateID(path, v string, maxLen int) error {
	if v == "" {
		return invalidAt(path, "is required")
	}
	if len(v) > maxLen {
		return invalidAt(path, "is longer than %d bytes", maxLen)
	}
	for i := 0; i < len(v); i++ {
		if v[i] <= ' ' || v[i] > '~' {
			return invalidAt(path, "must be printable ASCII without spaces")
		}
	}
	return nil
}

// validateScopes checks a client's scopes as scope.Parse would leave
// them: at least one, each known, none twice.
func validateScopes(path string, scopes []string) error {
	if len(scopes) == 0 {
		return invalidAt(path, "must name at least one scope (\"*\" for all)")
	}
	for k, name := range scopes {
		// Parse reads "" as "*" and splits on spaces: a name must be one
		// scope on its own.
		if name == "" || strings.Contains(name, " ") {
			return invalidAt(path+"["+itoa(k)+"]", "%q is not one scope", name)
		}
		if _, err := scope.Parse(name); err != nil {
			return invalidAt(path+"["+itoa(k)+"]", "%v", err)
		}
		if j := slices.Index(scopes, name); j < k {
			return invalidAt(path+"["+itoa(k)+"]", "%q is already scopes[%d]", name, j)
		}
	}
	return nil
}

// CheckImport reports whether Import would accept st, changing nothing:
// ValidateState, and no more clients than this Server keeps. A caller
// that imports several families at once checks them all first, so that
// none is half imported.
func (s *Server) CheckImport(st State) error {
	if err := ValidateState(st); err != nil {
		return err
	}
	if len(st.Clients) > s.maxClients {
		return invalidAt("clients", "holds %d clients; this emulator keeps at most %d (raise the limit %q)", len(st.Clients), s.maxClients, LimitClients)
	}
	return nil
}

// Import replaces every client, the generation counter and every
// revocation with st's, after CheckImport; on error nothing changes.
// Each client authenticates with the secret it had (its hash is kept),
// and, with the exporter's token.Keys state imported into this Server's
// Keys, every token the exporter would accept is accepted and every one
// it refused for revocation is refused.
func (s *Server) Import(st State) error {
	if err := s.CheckImport(st); err != nil {
		return err
	}
	clients := make(map[string]*record, len(st.Clients))
	var order seqset.Set[*record]
	for _, c := range st.Clients {
		r := &record{
			Client: Client{
				ID: c.ID, Name: c.Name, WorkspaceID: c.WorkspaceID,
				Scopes: slices.Clone(scope.Set(c.Scopes)), ProjectIDs: slices.Clone(c.ProjectIDs),
				CreatedAt: c.CreatedAt, SecretRotatedAt: c.SecretRotatedAt,
			},
			generation: c.Generation, seq: c.Seq,
		}
		_, _ = hex.Decode(r.secretHash[:], []byte(c.SecretHash)) // checked by ValidateState
		clients[c.ID] = r
		order.Add(r.seq, r)
	}
	revoked := make(map[string]struct{}, len(st.Revoked))
	var byExpiry expiry.Queue[string]
	for i, r := range st.Revoked {
		revoked[r.JTI] = struct{}{}
		// The sequence only breaks ties between equal exps; numbering in
		// the State's order is as good as the exporter's.
		byExpiry.Add(time.Unix(r.Expiry, 0), uint64(i+1), r.JTI)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.clients, s.order, s.nextGen = clients, order, st.LastGeneration
	s.revoked, s.revokedByExpiry, s.revokedSeq = revoked, byExpiry, uint64(len(st.Revoked))
	return nil
}

// invalidAt is an invalid_request error about the value at a JSON path of
// a State: the path comes first, so a caller who nests the State can put
// its own path before it.
func invalidAt(path, format string, args ...any) error {
	return apperr.ErrInvalid.WithMessage(path+": "+format, args...)
}

// itoa formats a slice index for a JSON path.
func itoa(i int) string { return strconv.Itoa(i) }
