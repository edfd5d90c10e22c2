package conformance

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/pdemu/pdemu/conformance/internal/wire"
)

// The request journal (GET /_emulator/requests): what the target recorded
// of the scenario's own requests.
//
// The kit may share its target with other users and runs its scenarios in
// parallel, so these steps read only what the scenario itself made: the
// requests of an OAuth client it created, or of an external user whose id
// carries its random suffix, recorded since it began watching (the
// emulator clock then, the journal's since filter). None assumes the
// journal is otherwise empty, and none clears it but in a @serial
// scenario: DELETE /_emulator/requests empties the journal every user of
// the server reads, so it would take from the scenarios running meanwhile
// the entries they are about to check.

// journalWatch is where a scenario began watching the journal.
type journalWatch struct {
	// since is the emulator clock when it began (zero when the target has
	// no clock to read: then only the subject narrows what is read).
	since time.Time
}

// journalSubject is the phrase naming whose requests a step reads.
const journalSubject = `(the created client|the external user "[^"]*")`

// maxJournalPages bounds the pages a step walks (100 entries each): the
// scenario's own entries are the newest, which come first.
const maxJournalPages = 10

// registerJournalSteps adds the steps that read and clear the journal.
func registerJournalSteps(s *steps) {
	s.add(`^I watch the request journal from now$`, func(ctx context.Context) error {
		w := worldFrom(ctx)
		if !w.caps.Has("journal") {
			return fmt.Errorf("%w (the capability journal)", errNotEmulator)
		}
		watch := &journalWatch{}
		if w.caps.Has("clock") {
			now, err := readEmulatorClock(ctx, w)
			if err != nil {
				return err
			}
			watch.since = now
		}
		w.journal = watch
		return nil
	})
	s.add(`^the journal has (\d+) requests? of `+journalSubject+` for route "([^"]*)"(?: with status (\d+))?$`, func(ctx context.Context, n int, subject, route, status string) error {
		w := worldFrom(ctx)
		q, who, err := w.journalQuery(subject, route)
		if err != nil {
			return err
		}
		if status != "" {
			q.Set("status", status)
		}
		x, err := w.control(ctx, http.MethodGet, "/_emulator/requests/count?"+q.Encode(), "")
		if err != nil {
			return err
		}
		got, ok := x.field("count")
		if c, isInt := wire.Int(got); !ok || !isInt || c != int64(n) {
			what := "route " + route
			if status != "" {
				what += " answered " + status
			}
			return fmt.Errorf("want %d requests of %s to %s in the journal since the scenario began watching it; %s", n, who, what, w.maskSecrets(x.describe()))
		}
		return nil
	})
	s.add(`^in the latest journal entry of `+journalSubject+` for route "([^"]*)", "([^"]*)" (is|matches) "([^"]*)"$`, func(ctx context.Context, subject, route, field, verb, want string) error {
		w := worldFrom(ctx)
		entry, err := w.latestJournalEntry(ctx, subject, route)
		if err != nil {
			return err
		}
		if want, err = w.expand(want); err != nil {
			return err
		}
		v, ok := entry.field(field)
		if !ok {
			return fmt.Errorf("the journal entry %s has no field %s: %s", entry.str("id"), field, w.maskSecrets(entryText(entry)))
		}
		switch verb {
		case "is":
			if text(v) == want {
				return nil
			}
		case "matches":
			re, err := regexp.Compile(want)
			if err != nil {
				return err
			}
			if s, isString := v.(string); isString && re.MatchString(s) {
				return nil
			}
		}
		return fmt.Errorf("want %s of the journal entry %s to %s %q, got %s", field, entry.str("id"), verb, w.maskSecrets(want), w.maskSecrets(text(v)))
	})
	s.add(`^in the latest journal entry of `+journalSubject+` for route "([^"]*)", "([^"]*)" is absent$`, func(ctx context.Context, subject, route, field string) error {
		w := worldFrom(ctx)
		entry, err := w.latestJournalEntry(ctx, subject, route)
		if err != nil {
			return err
		}
		if v, ok := entry.field(field); ok {
			return fmt.Errorf("want no field %s in the journal entry %s, got %s", field, entry.str("id"), w.maskSecrets(text(v)))
		}
		return nil
	})
	s.add(`^I remember, from the latest journal entry of `+journalSubject+` for route "([^"]*)", "([^"]*)" as "([^"]*)"$`, func(ctx context.Context, subject, route, field, name string) error {
		w := worldFrom(ctx)
		entry, err := w.latestJournalEntry(ctx, subject, route)
		if err != nil {
			return err
		}
		v, ok := entry.field(field)
		if !ok || v == nil {
			return fmt.Errorf("the journal entry %s has no field %s to remember: %s", entry.str("id"), field, w.maskSecrets(entryText(entry)))
		}
		return w.remember(name, text(v))
	})
	s.add(`^the journal has an unmatched (GET|POST|PUT|PATCH|DELETE) "([^"]*)" whose near misses include "([^"]*)"$`, unmatchedJournalEntry)
	s.add(`^the journal shows none of this scenario's secrets in the requests of `+journalSubject+`$`, noSecretsInJournal)
	s.add(`^I clear the request journal$`, func(ctx context.Context) error {
		w := worldFrom(ctx)
		if !w.caps.Has("journal") {
			return fmt.Errorf("%w (the capability journal)", errNotEmulator)
		}
		if !w.scenario.HasTag("@serial") {
			return fmt.Errorf("this step empties the request journal, which every user of the server reads (a scenario running meanwhile would lose the entries it is about to check): tag the scenario @serial")
		}
		return w.do(ctx, http.MethodDelete, "/_emulator/requests", "", "")
	})
}

// journalQuery returns the journal filter of the scenario's requests of a
// subject ("the created client", "the external user \"…\"") to a route
// ("" for any), and how to name that subject.
func (w *world) journalQuery(subject, route string) (url.Values, string, error) {
	if w.journal == nil {
		return nil, "", fmt.Errorf(`the scenario does not watch the request journal: start it with "Given I watch the request journal from now"`)
	}
	q := url.Values{}
	if !w.journal.since.IsZero() {
		q.Set("since", w.journal.since.UTC().Format(time.RFC3339Nano))
	}
	if route != "" {
		q.Set("route", route)
	}
	switch user, isUser := strings.CutPrefix(subject, "the external user "); {
	case isUser:
		user, err := w.expand(strings.Trim(user, `"`))
		if err != nil {
			return nil, "", err
		}
		if !strings.Contains(user, w.unique) {
			// Another scenario, or another user of the server, may act for
			// an external user whose id is not the scenario's own.
			return nil, "", fmt.Errorf("the external user %q is not the scenario's own: put ${unique} in its id", user)
		}
		q.Set("external_user_id", user)
		return q, "the external user " + user, nil
	default:
		if w.createdClient.ClientID == "" {
			return nil, "", fmt.Errorf("no OAuth client was created in this scenario: the journal steps read the requests of the scenario's own client")
		}
		q.Set("client_id", w.createdClient.ClientID)
		return q, "the created client " + w.createdClient.ClientID, nil
	}
}

// latestJournalEntry returns the newest entry of the subject's requests to
// route since the scenario began watching, as an exchange whose body is
// the entry (so that field paths read it).
func (w *world) latestJournalEntry(ctx context.Context, subject, route string) (*exchange, error) {
	q, who, err := w.journalQuery(subject, route)
	if err != nil {
		return nil, err
	}
	q.Set("limit", "1")
	x, err := w.control(ctx, http.MethodGet, "/_emulator/requests?"+q.Encode(), "")
	if err != nil {
		return nil, err
	}
	data, err := x.list("data")
	if err != nil {
		return nil, err
	}
	if len(data) == 0 {
		return nil, fmt.Errorf("the journal has no request of %s to route %s since the scenario began watching it", who, route)
	}
	return &exchange{method: x.method, url: x.url, status: x.status, decoded: data[0]}, nil
}

// entryText renders a journal entry for a failure message.
func entryText(entry *exchange) string {
	b, _ := json.Marshal(entry.decoded)
	if len(b) > 1200 {
		return string(b[:1200]) + "…"
	}
	return string(b)
}

// walkJournal reads the pages of GET /_emulator/requests with q, newest
// first, at most maxJournalPages of them, and calls fn with each page.
func (w *world) walkJournal(ctx context.Context, q url.Values, fn func(page *exchange) (done bool, err error)) error {
	q.Set("limit", "100")
	for page := 1; page <= maxJournalPages; page++ {
		x, err := w.control(ctx, http.MethodGet, "/_emulator/requests?"+q.Encode(), "")
		if err != nil {
			return err
		}
		if done, err := fn(x); done || err != nil {
			return err
		}
		next := x.str("page_info.end_cursor")
		if next == "" {
			return nil
		}
		q.Set("after", next)
	}
	return nil
}

// unmatchedJournalEntry finds the journal's entry of a request no route
// matched, by its method, path and query (give the path a query naming
// ${unique}: an unmatched request carries no client to tell whose it is),
// and checks that it names a route it nearly matched.
func unmatchedJournalEntry(ctx context.Context, method, target, want string) error {
	w := worldFrom(ctx)
	target, err := w.expand(target)
	if err != nil {
		return err
	}
	if want, err = w.expand(want); err != nil {
		return err
	}
	if w.journal == nil {
		return fmt.Errorf(`the scenario does not watch the request journal: start it with "Given I watch the request journal from now"`)
	}
	p, query, _ := strings.Cut(target, "?")
	if !strings.Contains(query, w.unique) {
		return fmt.Errorf("give %s a query naming ${unique}: an unmatched request carries nothing else that tells the scenario's from another's", target)
	}
	q := url.Values{"method": {method}, "path": {p}}
	if !w.journal.since.IsZero() {
		q.Set("since", w.journal.since.UTC().Format(time.RFC3339Nano))
	}
	var found map[string]any
	err = w.walkJournal(ctx, q, func(page *exchange) (bool, error) {
		data, err := page.list("data")
		if err != nil {
			return false, err
		}
		for _, it := range data {
			e, _ := it.(map[string]any)
			if text(e["path"]) == p && text(e["query"]) == query {
				found = e
				return true, nil
			}
		}
		return false, nil
	})
	if err != nil {
		return err
	}
	if found == nil {
		return fmt.Errorf("the journal has no %s %s since the scenario began watching it", method, target)
	}
	if route := text(found["route"]); route != "" {
		return fmt.Errorf("the journal entry %s of %s %s names the route %q: want none, since no route matches it", text(found["id"]), method, target, route)
	}
	misses, _ := found["near_misses"].([]any)
	var names []string
	for _, m := range misses {
		names = append(names, text(m))
	}
	if !slices.Contains(names, want) {
		return fmt.Errorf("want the journal entry %s of %s %s to name the near miss %q, got near_misses %q", text(found["id"]), method, target, want, names)
	}
	return nil
}

// noSecretsInJournal reads, as the target sends them, the journal entries
// of the subject's requests since the scenario began watching, and those
// of the control plane's OAuth clients (where a created client's secret
// and the control token travel), and fails if any secret the scenario
// holds appears in them: a secret must show only as the target's
// redaction marker. The failure names the secret, never its value.
func noSecretsInJournal(ctx context.Context, subject string) error {
	w := worldFrom(ctx)
	q, who, err := w.journalQuery(subject, "")
	if err != nil {
		return err
	}
	secrets := w.secrets()
	if len(secrets) == 0 {
		return fmt.Errorf("the scenario holds no secret to look for")
	}
	clients := url.Values{"path": {"/_emulator/oauth-clients"}}
	if s := q.Get("since"); s != "" {
		clients.Set("since", s)
	}
	own := 0
	for i, read := range []struct {
		what string
		q    url.Values
	}{{"the requests of " + who, q}, {"the control plane's OAuth-client requests", clients}} {
		err := w.walkJournal(ctx, read.q, func(page *exchange) (bool, error) {
			data, err := page.list("data")
			if err != nil {
				return false, err
			}
			if i == 0 {
				own += len(data)
			}
			raw := string(page.body)
			for _, s := range secrets {
				if s.in(raw) {
					return false, fmt.Errorf("the journal shows %s in %s (GET %s): a secret must appear only as a redaction marker", s.name, read.what, page.url)
				}
			}
			return false, nil
		})
		if err != nil {
			return err
		}
	}
	if own == 0 {
		return fmt.Errorf("the journal has no entry of %s since the scenario began watching it: there was nothing to look at", who)
	}
	return nil
}

// namedSecret is a secret the scenario holds and how a failure names it.
type namedSecret struct {
	name, value string
}

// in reports whether the secret appears in s, as is or escaped as a JSON
// string carries it (with HTML's characters escaped or not).
func (n namedSecret) in(s string) bool {
	if strings.Contains(s, n.value) {
		return true
	}
	for _, html := range []bool{false, true} {
		var buf bytes.Buffer
		enc := json.NewEncoder(&buf)
		enc.SetEscapeHTML(html)
		_ = enc.Encode(n.value)
		q := strings.TrimSpace(buf.String())
		if escaped := q[1 : len(q)-1]; escaped != n.value && strings.Contains(s, escaped) {
			return true
		}
	}
	return false
}

// minSecretLen is the length below which a value is not looked for: a
// short test value ("any") would be found in any text.
const minSecretLen = 12

// secrets lists every secret the scenario holds: the configured clients'
// secrets, the control token, the created client's secret, the access and
// Connect tokens it got (and each JWT's signature, which alone makes it
// usable), and values it remembered under a name with "token" or "secret"
// in it.
func (w *world) secrets() []namedSecret {
	pairs := [][2]string{
		{"the configured client's secret", w.cfg.Client.ClientSecret},
		{"the second client's secret", w.cfg.SecondClient.ClientSecret},
		{"the control token", w.cfg.ControlToken},
		{"the created client's secret", w.createdClient.ClientSecret},
		{"the scenario's access token", w.accessToken},
		{"the scenario's Connect token", w.connectToken},
		{"the access token of side requests", w.sideAccessToken},
	}
	for _, scope := range sortedKeys(w.scopedTokens) {
		pairs = append(pairs, [2]string{"the access token of scope " + scope, w.scopedTokens[scope]})
	}
	for _, name := range sortedKeys(w.vars) {
		if l := strings.ToLower(name); strings.Contains(l, "token") || strings.Contains(l, "secret") {
			pairs = append(pairs, [2]string{"the value remembered as " + name, w.vars[name]})
		}
	}
	return collectSecrets(pairs)
}

// collectSecrets turns (name, value) pairs into the secrets to look for:
// each value long enough to be told apart from ordinary text, once, and
// the signature of each JWT among them.
func collectSecrets(pairs [][2]string) []namedSecret {
	var out []namedSecret
	var add func(name, value string)
	add = func(name, value string) {
		if len(value) < minSecretLen || slices.ContainsFunc(out, func(s namedSecret) bool { return s.value == value }) {
			return
		}
		out = append(out, namedSecret{name, value})
		if parts := strings.Split(value, "."); len(parts) == 3 && len(parts[2]) >= minSecretLen {
			add("the signature of "+name, parts[2])
		}
	}
	for _, p := range pairs {
		add(p[0], p[1])
	}
	return out
}

// maskSecrets replaces every secret the scenario holds in a failure
// message by its name: a message must not carry a secret the target
// failed to redact into a CI log.
func (w *world) maskSecrets(s string) string {
	for _, sec := range w.secrets() {
		s = strings.ReplaceAll(s, sec.value, "<"+sec.name+">")
	}
	return s
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
