package emulator

import (
	"cmp"
	"slices"
	"strings"
	"sync"
)

// Near misses: when a request matches no route, the answer and the
// journal name the routes closest to what was asked, so that an SDK author
// sees at once what the SDK should have called.

// routeShape is a route template split into segments, for comparing paths
// against it.
type routeShape struct {
	name, method, template string
	segs                   []string
}

// maxNearMisses bounds the routes a 404 names.
const maxNearMisses = 3

var (
	shapesOnce sync.Once
	shapes     []routeShape
)

// routeShapes lists every template the router serves, built once per
// process like the router.
func routeShapes(eps []Endpoint) []routeShape {
	shapesOnce.Do(func() {
		add := func(ep Endpoint, template string) {
			if strings.HasSuffix(template, ":.*}") {
				return // a catch-all matches any path below its prefix: no near miss to offer
			}
			shapes = append(shapes, routeShape{name: ep.Name, method: ep.Method, template: template, segs: strings.Split(template, "/")})
		}
		for _, ep := range eps {
			add(ep, ep.Path)
			if ep.ProjectScoped {
				add(ep, strings.Replace(ep.Path, "/{project_id}/", "/", 1))
			}
		}
	})
	return shapes
}

// String is how a near miss is named: "GET /v1/connect/projects (projects.list)".
func (s routeShape) String() string { return s.method + " " + s.template + " (" + s.name + ")" }

// nearMisses returns the routes closest to method and path: the same path
// under another method first, then paths with a typo in one segment or one
// segment more or less, the request's method before others.
func nearMisses(eps []Endpoint, method, path string) []string {
	segs := strings.Split(path, "/")
	type scored struct {
		shape routeShape
		score int
	}
	var found []scored
	for _, sh := range routeShapes(eps) {
		d, ok := pathDistance(segs, sh.segs)
		if !ok {
			continue
		}
		score := d * 2
		if sh.method != method {
			score++
		}
		found = append(found, scored{sh, score})
	}
	slices.SortStableFunc(found, func(a, b scored) int { return cmp.Compare(a.score, b.score) })
	var out []string
	for _, f := range found {
		if s := f.shape.String(); !slices.Contains(out, s) {
			out = append(out, s)
		}
		if len(out) == maxNearMisses {
			break
		}
	}
	return out
}

// pathDistance compares a path's segments with a template's: 0 when the
// path fits the template, the edit distance of the one segment with a typo,
// 3 when the path has one segment more or less. ok is false when the path
// is further off than that.
func pathDistance(path, tmpl []string) (int, bool) {
	switch len(path) - len(tmpl) {
	case 0:
		miss := -1
		for i := range path {
			if !segmentFits(path[i], tmpl[i]) {
				if miss >= 0 {
					return 0, false
				}
				miss = i
			}
		}
		if miss < 0 {
			return 0, true
		}
		if isVar(tmpl[miss]) {
			return 0, false // an empty segment where a variable belongs
		}
		d := editDistance(path[miss], tmpl[miss], 3)
		if d <= 2 || (d == 3 && len(tmpl[miss]) >= 8) {
			return d, true
		}
		return 0, false
	case 1:
		return 3, fitsWithout(path, tmpl)
	case -1:
		return 3, fitsWithout(tmpl, path)
	}
	return 0, false
}

// fitsWithout reports whether dropping one segment of longer makes it fit
// shorter (either may be the template).
func fitsWithout(longer, shorter []string) bool {
	for skip := range longer {
		ok := true
		for i, j := 0, 0; i < len(longer) && ok; i++ {
			if i == skip {
				continue
			}
			ok = segmentFits(longer[i], shorter[j]) || segmentFits(shorter[j], longer[i])
			j++
		}
		if ok {
			return true
		}
	}
	return false
}

func isVar(seg string) bool { return strings.HasPrefix(seg, "{") && strings.HasSuffix(seg, "}") }

// segmentFits reports whether a path segment fits a template segment: a
// variable takes any non-empty segment.
func segmentFits(seg, tmpl string) bool {
	if isVar(tmpl) {
		return seg != ""
	}
	return seg == tmpl
}

// editDistance is the Levenshtein distance of a and b, or limit+1 once it
// is known to exceed limit.
func editDistance(a, b string, limit int) int {
	if d := len(a) - len(b); d > limit || -d > limit {
		return limit + 1
	}
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		best := cur[0]
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			best = min(best, cur[j])
		}
		if best > limit {
			return limit + 1
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
