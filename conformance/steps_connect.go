package conformance

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"path"
	"slices"
	"strings"

	"github.com/cucumber/godog"

	"github.com/pdemu/pdemu/conformance/internal/wire"
)

// The Connect resource families' own steps: control-plane setup that
// keeps the scenario's last response, things deleted after the scenario,
// and walking a paginated list by its cursors.

// registerConnectSteps adds the Connect families' steps.
func registerConnectSteps(s *steps) {
	s.add(`^I will DELETE "([^"]*)" after the scenario$`, func(ctx context.Context, p string) error {
		w := worldFrom(ctx)
		p, err := w.expand(p)
		if err != nil {
			return err
		}
		w.deleteAfterwards(p, "what DELETE "+p+" removes")
		return nil
	})
	s.add(`^the proxy allow-list is restored after the scenario$`, func(ctx context.Context) error {
		w := worldFrom(ctx)
		if !w.caps.IsEmulator() {
			return errNotEmulator
		}
		x, err := w.control(ctx, http.MethodGet, "/_emulator/proxy/allowed-hosts", "")
		if err != nil {
			return err
		}
		hosts, ok := x.field("hosts")
		if !ok {
			return fmt.Errorf("GET /_emulator/proxy/allowed-hosts: no hosts; %s", x.describe())
		}
		was, err := json.Marshal(map[string]any{"hosts": hosts})
		if err != nil {
			return err
		}
		w.cleanups.add("proxy allow-list", "the proxy allow-list, as it was: "+string(was), func(ctx context.Context) error {
			_, err := w.control(ctx, http.MethodPut, "/_emulator/proxy/allowed-hosts", string(was))
			return err
		})
		return nil
	})

	s.add(`^the control plane accepts (POST|PUT) "([^"]*)" with JSON:$`, func(ctx context.Context, m, p string, doc *godog.DocString) error {
		_, err := controlStep(ctx, m, p, doc.Content)
		return err
	})
	s.add(`^the control plane accepts (POST|PUT) "([^"]*)", remembering "([^"]*)" as "([^"]*)", with JSON:$`, func(ctx context.Context, m, p, field, name string, doc *godog.DocString) error {
		x, err := controlStep(ctx, m, p, doc.Content)
		if err != nil {
			return err
		}
		v, ok := x.field(field)
		if !ok || v == nil {
			return fmt.Errorf("control plane: no field %s to remember; %s", field, x.describe())
		}
		return worldFrom(ctx).remember(name, text(v))
	})
	s.add(`^the emulator has connected an account of app "([^"]*)" for external user "([^"]*)" as "([^"]*)"$`, func(ctx context.Context, app, user, name string) error {
		w := worldFrom(ctx)
		user, err := w.expand(user)
		if err != nil {
			return err
		}
		body, _ := json.Marshal(map[string]string{"external_user_id": user, "app": app, "environment": w.env})
		x, err := w.control(ctx, http.MethodPost, "/_emulator/projects/"+url.PathEscape(w.cfg.ProjectID)+"/accounts", string(body))
		if err != nil {
			return err
		}
		w.deleteUserAfterwards(user) // connecting an account made the user
		id := x.str("id")
		if !strings.HasPrefix(id, "apn_") {
			return fmt.Errorf("control plane: the connected account has no apn_ id; %s", x.describe())
		}
		return w.remember(name, id)
	})

	s.add(`^I walk the pages of "([^"]*)" collecting "([^"]*)"$`, walkPages)
	s.add(`^the collected values include everything remembered as "([^"]*)"$`, func(ctx context.Context, pattern string) error {
		w := worldFrom(ctx)
		walk, err := w.walked()
		if err != nil {
			return err
		}
		got := walk.values
		var names []string
		for name := range w.vars {
			if ok, _ := path.Match(pattern, name); ok {
				names = append(names, name)
			}
		}
		if len(names) == 0 {
			return fmt.Errorf("nothing is remembered under a name matching %q", pattern)
		}
		slices.Sort(names)
		for _, name := range names {
			if n := countOf(got, w.vars[name]); n != 1 {
				return fmt.Errorf("want %s (%s) exactly once among the %d collected values, found it %d times; walked %d pages",
					name, w.vars[name], len(got), n, walk.pages)
			}
		}
		return nil
	})
	s.add(`^the collected values (include|do not include) "([^"]*)"$`, func(ctx context.Context, verb, want string) error {
		w := worldFrom(ctx)
		walk, err := w.walked()
		if err != nil {
			return err
		}
		got := walk.values
		if want, err = w.expand(want); err != nil {
			return err
		}
		n := countOf(got, want)
		switch {
		case verb == "include" && n != 1:
			return fmt.Errorf("want %q exactly once among the %d collected values, found it %d times", want, len(got), n)
		case verb == "do not include" && n != 0:
			return fmt.Errorf("want no %q among the %d collected values, found it %d times", want, len(got), n)
		}
		return nil
	})
	s.add(`^the collected values have no duplicates$`, func(ctx context.Context) error {
		walk, err := worldFrom(ctx).walked()
		if err != nil {
			return err
		}
		seen := map[string]bool{}
		for _, v := range walk.values {
			if seen[v] {
				return fmt.Errorf("%q was collected twice: a page repeated an item of an earlier one", v)
			}
			seen[v] = true
		}
		return nil
	})
	s.add(`^the walk took at least (\d+) pages$`, func(ctx context.Context, n int) error {
		walk, err := worldFrom(ctx).walked()
		if err != nil {
			return err
		}
		if walk.pages < n {
			return fmt.Errorf("want a walk of at least %d pages, it took %d", n, walk.pages)
		}
		return nil
	})
}

// controlStep sends a control-plane request of a scenario's setup, path
// and body expanded. The scenario's last response stays as it was.
func controlStep(ctx context.Context, method, p, body string) (*exchange, error) {
	w := worldFrom(ctx)
	p, err := w.expand(p)
	if err != nil {
		return nil, err
	}
	if body, err = w.expand(body); err != nil {
		return nil, err
	}
	if strings.HasPrefix(p, "/_emulator/clock") {
		if err := w.clockWillMove(ctx); err != nil {
			return nil, err
		}
	}
	return w.control(ctx, method, p, body)
}

// maxWalkPages stops a walk whose cursors never end.
const maxWalkPages = 500

// walkPages GETs a list page after page, following page_info.end_cursor
// with `after` as the SDK's pager does, until the cursor is null, absent
// or "", and collects a field of every item. Each page must be a 200
// {data: [...], page_info: {...}}, and every page keeps page_info's
// invariants (checks.go). The last page stays the last response.
//
// A cursor that leads to an empty page says the page before it was not
// the last, though it was: the walk asks for that page again, and if it
// still answers the same cursor (no other client changed the list in
// between), the server put a cursor on its last page.
func walkPages(ctx context.Context, p, field string) error {
	w := worldFrom(ctx)
	p, err := w.expand(p)
	if err != nil {
		return err
	}
	sep := "?"
	if strings.Contains(p, "?") {
		sep = "&"
	}
	walk := &pageWalk{}
	w.walk = nil
	seen := map[string]bool{}
	cursor, prevURL := "", ""
	for page := 1; ; page++ {
		if page > maxWalkPages {
			return fmt.Errorf("the list still had a next page after %d pages", maxWalkPages)
		}
		u := p
		if cursor != "" {
			u += sep + "after=" + url.QueryEscape(cursor)
		}
		if err := w.do(ctx, http.MethodGet, u, "", ""); err != nil {
			return err
		}
		x := w.last
		if x.status != http.StatusOK {
			return fmt.Errorf("page %d: want status 200; %s", page, x.describe())
		}
		data, ok := x.field("data")
		items, isList := data.([]any)
		if !ok || !isList {
			return fmt.Errorf("page %d: want a list at data; %s", page, x.describe())
		}
		if pi, ok := x.field("page_info"); !ok || pi == nil {
			return fmt.Errorf("page %d: want page_info (the SDK's pager reads page_info.end_cursor); %s", page, x.describe())
		}
		if len(items) == 0 && page > 1 {
			if again, err := w.send(ctx, request{method: http.MethodGet, path: prevURL, token: w.token, env: w.env}, aside); err == nil &&
				again.status == http.StatusOK && again.str("page_info.end_cursor") == cursor {
				return errors.New(wire.LastPage(page-1, cursor))
			}
		}
		for i, it := range items {
			m, _ := it.(map[string]any)
			v, ok := m[field]
			if !ok {
				return fmt.Errorf("page %d: item %d has no %s; %s", page, i, field, x.describe())
			}
			walk.values = append(walk.values, text(v))
		}
		end, _ := x.field("page_info.end_cursor") // absent: the last page, to the SDK
		next, _ := end.(string)
		if end != nil && !isString(end) {
			return fmt.Errorf("page %d: page_info.end_cursor is neither a string nor null; %s", page, x.describe())
		}
		walk.pages = page
		if next == "" {
			break
		}
		if seen[next] {
			return fmt.Errorf("page %d: the end_cursor %q came back again: the walk would not end", page, next)
		}
		seen[next] = true
		cursor, prevURL = next, u
	}
	w.walk = walk
	return nil
}

func isString(v any) bool {
	_, ok := v.(string)
	return ok
}

// walked returns the last walk of a list.
func (w *world) walked() (*pageWalk, error) {
	if w.walk == nil {
		return nil, fmt.Errorf("no pages were walked yet")
	}
	return w.walk, nil
}

func countOf(list []string, v string) int {
	n := 0
	for _, s := range list {
		if s == v {
			n++
		}
	}
	return n
}
