package connect

import (
	"time"

	"github.com/pdemu/pdemu/emulator/internal/expiry"
	"github.com/pdemu/pdemu/emulator/internal/seqset"
)

// owned is a family of records that belong to an external user or to a
// project: accounts, deployed triggers, Connect tokens, OAuth apps, app
// overrides, stashed files, dynamic props. It is the one place that keeps
// such records by key, lists them in their owner's index, caps them,
// drops them when they expire, and removes them with their owner, so that
// no family writes its own reset, cascade or pruning.
type owned[T any] struct {
	kind ownedKind[T]
	// byKey holds every record; callers look records up here directly.
	byKey    map[string]*T
	expiring expiry.Queue[*T]
}

// ownedKind says how a family's records are keyed, ordered and owned.
type ownedKind[T any] struct {
	// limit names the family's cap (see Limits).
	limit string
	key   func(*T) string
	seq   func(*T) uint64
	// expires is when a record is dropped; nil for records that live until
	// deleted.
	expires func(*T) time.Time
	// indexes are the owner indexes (user's, project's) a record is listed
	// in, found through the store; the first is its owner's.
	indexes func(s *Store, t *T) []*seqset.Set[*T]
	// ofUser and ofProject return the index of the records an owner holds;
	// nil for a family owned by the other kind of owner.
	ofUser    func(u *userRecord) *seqset.Set[*T]
	ofProject func(p *projectRecord) *seqset.Set[*T]
}

func newOwned[T any](kind ownedKind[T]) owned[T] {
	return owned[T]{kind: kind, byKey: make(map[string]*T)}
}

// cascading is what the store needs of every owned family.
type cascading interface {
	reset()
	// dropUser removes what belongs to an external user.
	dropUser(s *Store, u *userRecord)
	// dropProject removes what belongs to a project itself; its users, and
	// what is theirs, are gone by then.
	dropProject(s *Store, p *projectRecord)
	// prune drops what expired at or before now.
	prune(s *Store, now time.Time)
	// size is how many records the family holds.
	size() int
}

func (c *owned[T]) reset() {
	c.byKey = make(map[string]*T)
	c.expiring = expiry.Queue[*T]{}
}

func (c *owned[T]) size() int { return len(c.byKey) }

// get returns the record under key.
func (c *owned[T]) get(key string) (*T, bool) {
	t, ok := c.byKey[key]
	return t, ok
}

// room refuses one more record at the family's cap. Callers check it
// before they change anything, so a refused create leaves no trace.
func (c *owned[T]) room(s *Store) error { return s.limits.check(c.kind.limit, len(c.byKey)) }

// add stores t and lists it in its owners' indexes; callers checked room.
func (c *owned[T]) add(s *Store, t *T) {
	c.byKey[c.kind.key(t)] = t
	seq := c.kind.seq(t)
	for _, ix := range c.kind.indexes(s, t) {
		ix.Add(seq, t)
	}
	if c.kind.expires != nil {
		c.expiring.Add(c.kind.expires(t), seq, t)
	}
}

// remove deletes t from the family and every index that lists it.
func (c *owned[T]) remove(s *Store, t *T) {
	delete(c.byKey, c.kind.key(t))
	seq := c.kind.seq(t)
	for _, ix := range c.kind.indexes(s, t) {
		ix.Delete(seq)
	}
	if c.kind.expires != nil {
		c.expiring.Delete(c.kind.expires(t), seq)
	}
}

func (c *owned[T]) dropUser(s *Store, u *userRecord) {
	if c.kind.ofUser != nil {
		c.removeAll(s, c.kind.ofUser(u))
	}
}

func (c *owned[T]) dropProject(s *Store, p *projectRecord) {
	if c.kind.ofProject != nil {
		c.removeAll(s, c.kind.ofProject(p))
	}
}

// removeAll removes every record an owner's index lists.
func (c *owned[T]) removeAll(s *Store, ix *seqset.Set[*T]) {
	for _, t := range ix.Items() {
		c.remove(s, t)
	}
}

func (c *owned[T]) prune(s *Store, now time.Time) {
	c.expiring.PopExpired(now, func(t *T) { c.remove(s, t) })
}
