package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"bricstown/internal/browsertest"
	"bricstown/internal/testenv"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
)

// EnvScreenshots names a directory: when it is set, TestBrowserLayout also
// writes a full-page PNG of each role's home in each language to
// DIR/ROLE-LANG.png (docs/screenshots/ is made so:
// BRICSTOWN_SCREENSHOTS=$PWD/docs/screenshots go test -run TestBrowserLayout ./cmd/bricstown/).
const envScreenshots = "BRICSTOWN_SCREENSHOTS"

// While fixing a page, BRICSTOWN_LAYOUT_ROLES=trader,bank and
// BRICSTOWN_LAYOUT_LANGS=kk,zh narrow the run (comma-separated names of
// layoutRoles and languages); the allowlist is then not checked for
// staleness.

// layoutRoles signs in as one demo user of every role the demo town has.
// The organiser, educator and clinician see what the resident sees (the
// town's public pages), so the resident stands for them.
var layoutRoles = []struct{ name, email string }{
	{"trader", "trader@kazgrain.kz"},
	{"bank", "treasury@steppebank.kz"},
	{"centre", "operations@settlement.town.kz"},
	{"customs", "officer@customs.kz"},
	{"quarantine", "inspector@sps.kz"},
	{"admin", "admin@town.kz"},
	{"orgadmin", "admin@kazgrain.kz"},
	{"carrier", "dispatch@khorgosgw.kz"},
	{"resident", "resident@residents.town.kz"},
	{"venue", "events@expo.town.kz"},
	{"doctor", "tcm@medcentre.town.kz"},
	{"clinicadmin", "director@medcentre.town.kz"},
	{"educator", "dean@edupark.kz"},
}

// axeNarrowRules are the WCAG rules of axe-core whose outcome can change
// with the width of the window: what scrolls, what hides, what shrinks.
var axeNarrowRules = []string{"scrollable-region-focusable", "target-size", "aria-hidden-focus",
	"button-name", "link-name", "nested-interactive", "region", "meta-viewport"}

var layoutLangs = []string{"en", "ru", "zh", "kk", "pt"}

// The widths that every page must hold at: a common laptop and a phone.
const (
	wideW, wideH     = 1366, 900
	narrowW, narrowH = 390, 844
)

// layoutAllow lists problems that are known and belong to work under way
// elsewhere. Each entry names the role ("" for any), the page path, the
// start of the problem's text and why it is allowed; the lead removes an
// entry once the branch that fixes it is merged. An entry that matches
// nothing fails the test, so the list cannot go stale.
var layoutAllow = []struct{ role, path, problem, why string }{}

// layoutMeasure runs in the page and returns what does not hold, one line
// per problem. It knows the width it runs at from the window.
const layoutMeasure = `(() => {
  const W = window.innerWidth, out = [], wide = W >= 1000;
  const desc = el => {
    let s = el.tagName.toLowerCase();
    if (el.id) return s + '#' + el.id;
    if (el.classList.length) s += '.' + [...el.classList].slice(0, 2).join('.');
    const p = el.parentElement && el.parentElement.closest('[id]');
    return (p ? '#' + p.id + ' ' : '') + s;
  };
  // Shown: laid out, not in a closed <details> or popover.
  const visible = el => { const r = el.getBoundingClientRect(); return r.width > 0 && r.height > 0 && el.checkVisibility({contentVisibilityAuto: true, visibilityProperty: true}); };
  const de = document.documentElement;
  if (de.scrollWidth > W + 1) {
    // The culprits: wider than the window and not inside a box that
    // scrolls or clips.
    const clipped = el => { for (let p = el.parentElement; p && p !== document.body; p = p.parentElement) { if (getComputedStyle(p).overflowX !== 'visible') return true; } return false; };
    let wider = [...document.body.querySelectorAll('*')].filter(el => visible(el) && el.getBoundingClientRect().right > W + 1 &&
      (!clipped(el) || ['absolute', 'fixed'].includes(getComputedStyle(el).position)));
    wider = wider.filter(el => !wider.includes(el.parentElement));
    out.push('page wider than the window (' + de.scrollWidth + ' > ' + W + ' px): ' + wider.slice(0, 3).map(desc).join(', '));
  }
  // A box that scrolls or clips sideways hides part of what it holds. On
  // a phone a table may scroll sideways (inside itself or a .table-wrap);
  // nothing else may.
  const boxes = 'main .card, main .stat, main .decl-card, main .chart-card, main fieldset, main .table-wrap, main table, main td, main th, main dd, main li, main label, main form, header.top, header.top nav, main .tabs';
  for (const c of document.querySelectorAll(boxes)) {
    if (!visible(c)) continue;
    if (!wide && c.matches('.table-wrap, table')) continue;
    if (c.scrollWidth > c.clientWidth + 1) {
      if (!wide) {
        // On a phone a card may scroll sideways for a table in it, and
        // for nothing else.
        const edge = c.getBoundingClientRect().right + 1;
        const out = [...c.querySelectorAll('*')].filter(el => visible(el) && el.getBoundingClientRect().right > edge);
        if (out.length && out.every(el => el.closest('table'))) continue;
      }
      out.push('content wider than its box (' + c.scrollWidth + ' > ' + c.clientWidth + ' px): ' + desc(c));
    }
  }
  // Text squeezed into a column too narrow for it: several characters,
  // each on its own line.
  for (const c of document.querySelectorAll('main td, main th, main dd, main dt, main .badge, main a, main button')) {
    const text = c.textContent.replace(/\s+/g, '');
    if (text.length < 3 || !visible(c)) continue;
    const fs = parseFloat(getComputedStyle(c).fontSize);
    const rg = document.createRange();
    rg.selectNodeContents(c);
    const lines = new Set([...rg.getClientRects()].filter(r => r.width > 0).map(r => Math.round(r.top))).size;
    if (lines >= 3 && lines * 2 > text.length && rg.getBoundingClientRect().width < 2.5 * fs) {
      out.push('text squeezed to a character per line ("' + c.textContent.trim().slice(0, 20) + '"): ' + desc(c));
    }
  }
  const nav = document.querySelector('header.top nav.main');
  if (wide && nav) {
    const tops = new Set([...nav.querySelectorAll('a')].filter(visible).map(a => Math.round(a.getBoundingClientRect().top)));
    const need = [...nav.querySelectorAll('a')].reduce((w, a) => w + a.getBoundingClientRect().width, 0);
    if (tops.size > 1) out.push('navigation wraps to ' + tops.size + ' rows at ' + W + ' px (its entries need ' + Math.round(need) + ' of ' + nav.clientWidth + ' px)');
  }
  // The bar above the navigation (brand, languages, user) is one row too.
  const bar = [...document.querySelectorAll('header.top > *, header.top .tools > *')].filter(el => !el.matches('nav.main, .tools') && visible(el));
  const rows = new Set(bar.map(el => Math.round(el.getBoundingClientRect().top / 12)));
  if (wide && rows.size > 1) out.push('header bar wraps to ' + rows.size + ' rows at ' + W + ' px');
  if (!wide && nav) {
    const toggle = document.querySelector('header.top .menu-toggle');
    if (!toggle || !visible(toggle)) out.push('no menu button at ' + W + ' px');
    else if (visible(nav)) out.push('navigation open before the menu button is pressed at ' + W + ' px');
  }
  return out;
})()`

// layoutMenu opens the menu that holds the navigation (the Menu button on
// a phone, "More" on a wide screen when entries did not fit) as a person
// would, checks that every entry in it shows inside the window, and closes
// it again.
const layoutMenu = `(() => {
  const out = [], W = window.innerWidth;
  const b = document.querySelector(W >= 1000 ? '#nav-more:not([hidden]) > button' : 'header.top .menu-toggle');
  if (!b || b.getBoundingClientRect().width === 0) return out;
  const list = document.getElementById(b.getAttribute('popovertarget'));
  b.click();
  if (!list || !list.matches(':popover-open')) return ['the menu does not open at ' + W + ' px'];
  const entries = [...list.querySelectorAll('a')].filter(a => !a.closest('[hidden]'));
  if (!entries.length) out.push('the menu is empty at ' + W + ' px');
  for (const a of entries) {
    // A long menu scrolls (it is never taller than the window): an entry
    // counts as reachable when scrolling the menu brings it inside.
    a.scrollIntoView({block: 'nearest', inline: 'nearest'});
    const r = a.getBoundingClientRect();
    if (r.width === 0 || r.left < 0 || r.right > W + 1 || r.bottom > window.innerHeight + 1) {
      out.push('menu entry "' + a.textContent.trim() + '" outside the window at ' + W + ' px');
    }
  }
  list.hidePopover();
  return out;
})()`

// TestBrowserLayout signs in as every demo role, opens every page that the
// role's navigation offers and one of each detail page those pages link
// to, in all five languages at 1366 and 390 px, and fails on horizontal
// overflow, a navigation taller than one row at 1366 px, a link that
// answers 4xx or 5xx, and on what axe-core finds against WCAG 2.2 A/AA.
func TestBrowserLayout(t *testing.T) {
	if testing.Short() {
		t.Skip("opens every page in a browser")
	}
	if _, err := browsertest.Chromium(); err != nil && !testenv.CI() {
		t.Skipf("browsertest: skipping, %v", err)
	}
	dsn := filepath.Join(t.TempDir(), "layout.db")
	srv := startServer(t, dsn, "--demo")
	seedLogistics(t, srv, dsn) // a booked shipment, so the logistics detail pages are reached
	shots := os.Getenv(envScreenshots)
	if shots != "" {
		if err := os.MkdirAll(shots, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	start := time.Now()
	st := &layoutState{
		problems: map[string][]string{},
		links:    &linkChecker{base: srv.url, seen: map[string]int{}},
		checked:  map[string]bool{},
	}
	// The roles are shared out between two browsers that run at once
	// (each its own profile, so each its own session cookie): the pages
	// of one are rendered while the other's are measured, which keeps both
	// cores busy and the test well inside the package's ten minutes.
	var roles []layoutRole
	for _, role := range layoutRoles {
		if only := os.Getenv("BRICSTOWN_LAYOUT_ROLES"); only != "" && !slices.Contains(strings.Split(only, ","), role.name) {
			continue
		}
		roles = append(roles, layoutRole(role))
	}
	const browsers = 2
	t.Run("roles", func(t *testing.T) {
		for b := range browsers {
			t.Run(fmt.Sprint("browser", b+1), func(t *testing.T) {
				t.Parallel()
				ctx := browsertest.New(t, browsertest.WithTimeout(10*time.Minute), browsertest.WithWindowSize(wideW, wideH))
				for i := b; i < len(roles); i += browsers {
					checkRoleLayout(t, ctx, srv, shots, roles[i], st)
				}
			})
		}
	})
	if t.Failed() {
		return
	}
	problems, links, pages, skipped := st.problems, st.links, st.pages, st.skipped
	note := st.note
	tNav, tMeasure, tAxe := st.tNav, st.tMeasure, st.tAxe
	for _, bad := range links.check(t) {
		note(bad.role, bad.from, "link", fmt.Sprintf("link %s answers %d", bad.link, bad.status))
	}
	t.Logf("%d page views (each at 2 widths; %d more were the same as one checked), %d links checked in %v (navigation %v, measuring %v, axe %v)", pages, skipped, len(links.seen), time.Since(start).Round(time.Second),
		tNav.Round(time.Millisecond), tMeasure.Round(time.Millisecond), tAxe.Round(time.Millisecond))

	keys := make([]string, 0, len(problems))
	for k := range problems {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	used := make([]bool, len(layoutAllow))
	for _, k := range keys {
		if i := allowed(k); i >= 0 {
			used[i] = true
			continue
		}
		where := problems[k]
		t.Errorf("%s\n    seen in %s", k, strings.Join(compact(where), " "))
	}
	for i, a := range layoutAllow {
		if !used[i] && os.Getenv("BRICSTOWN_LAYOUT_ROLES")+os.Getenv("BRICSTOWN_LAYOUT_LANGS") == "" {
			t.Errorf("allowlist entry no longer needed (remove it): %s %s %q", a.role, a.path, a.problem)
		}
	}
}

// layoutRole is one role of layoutRoles.
type layoutRole struct{ name, email string }

// layoutState is what the browsers of TestBrowserLayout share.
type layoutState struct {
	mu                   sync.Mutex
	problems             map[string][]string // problem → where it was seen
	links                *linkChecker
	checked              map[string]bool // language and fingerprint of a page's main part
	pages, skipped       int
	tNav, tMeasure, tAxe time.Duration
}

func (st *layoutState) note(role, path, where, problem string) {
	st.mu.Lock()
	defer st.mu.Unlock()
	key := role + " " + path + ": " + problem
	st.problems[key] = append(st.problems[key], where)
}

// firstCheck reports whether a page is to be checked: every role's home
// is (its navigation differs); another page whose main part is the same
// HTML as one checked for another role is not checked again.
func (st *layoutState) firstCheck(path, sum string) bool {
	st.mu.Lock()
	defer st.mu.Unlock()
	if path != "/" && st.checked[sum] {
		st.skipped++
		return false
	}
	st.checked[sum] = true
	return true
}

func (st *layoutState) add(d *time.Duration, by time.Duration) {
	st.mu.Lock()
	*d += by
	st.mu.Unlock()
}

func (st *layoutState) count(n *int) {
	st.mu.Lock()
	*n++
	st.mu.Unlock()
}

// checkRoleLayout signs in as role in ctx's browser and checks every page
// its navigation reaches, and one of each detail page they link to, in
// every language at both widths.
func checkRoleLayout(t *testing.T, ctx context.Context, srv *running, shots string, role layoutRole, st *layoutState) {
	viewport := func(w, h int64) {
		if err := chromedp.Do(ctx, chromedp.EmulateViewport(w, h)); err != nil {
			t.Fatal(err)
		}
	}
	viewport(wideW, wideH)
	if _, err := chromedp.Call(ctx, network.ClearBrowserCookies, cdp.Empty{}); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(ctx,
		chromedp.Navigate(srv.url+"/login"),
		chromedp.WaitVisible(chromedp.CSS(`#email`)),
		chromedp.SendKeys(chromedp.CSS(`#email`), role.email),
		chromedp.SendKeys(chromedp.CSS(`#password`), "bricstown-demo"),
		chromedp.Click(chromedp.CSS(`#login`)),
		chromedp.WaitVisible(chromedp.CSS(`header.top nav.main`)),
	); err != nil {
		browsertest.Screenshot(ctx, t, "sign in "+role.name)
		t.Fatalf("sign in as %s: %v", role.email, err)
	}
	cookies, err := chromedp.Call(ctx, network.GetCookies, network.GetCookiesParams{URLs: []string{srv.url}})
	if err != nil {
		t.Fatal(err)
	}
	var session []string
	for _, c := range cookies.Cookies {
		session = append(session, c.Name+"="+c.Value)
	}
	nav, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`[...document.querySelectorAll('header.top nav.main a')].map(a => a.getAttribute('href'))`))
	if err != nil || len(nav) == 0 {
		t.Fatalf("%s: no navigation: %v", role.name, err)
	}
	queue := slices.Clone(nav)
	shapes := map[string]bool{}
	for _, p := range nav {
		shapes[pathShape(p)] = true
	}
	roleLinks := map[string]string{} // link → a page that has it

	langs := layoutLangs
	if only := os.Getenv("BRICSTOWN_LAYOUT_LANGS"); only != "" {
		langs = strings.Split(only, ",")
	}
	for li, lang := range langs {
		for i := 0; i < len(queue); i++ {
			path := queue[i]
			// The server's HTML first: its links, and whether
			// another role has had the same page checked already.
			status, body := fetchPage(t, srv.url+path+sep(path)+"lang="+lang, session)
			if status >= 400 {
				// A page the navigation offers must open; a link
				// found on a page is reported by the link check.
				if slices.Contains(nav, path) {
					st.note(role.name, path, lang, fmt.Sprintf("the page answers %d", status))
				}
				continue
			}
			for _, l := range pageLinks(body) {
				if _, ok := roleLinks[l]; !ok {
					roleLinks[l] = path
				}
				// One of each detail page that the navigation's
				// pages link to, found in the first language; a kind
				// of detail page that another role had checked is
				// not checked again.
				if li == 0 && slices.Contains(nav, path) && isPage(l) && !shapes[pathShape(l)] {
					shapes[pathShape(l)] = true
					queue = append(queue, l)
				}
			}
			// Every role's home is checked (its navigation differs);
			// another page whose main part is the same HTML as one
			// checked for another role is not checked again.
			sum := lang + " " + mainFingerprint(body)
			if !st.firstCheck(path, sum) {
				continue
			}

			t0 := time.Now()
			if err := chromedp.Do(ctx, chromedp.Navigate(srv.url+path+sep(path)+"lang="+lang)); err != nil {
				t.Fatalf("%s: open %s: %v", role.name, path, err)
			}
			st.add(&st.tNav, time.Since(t0))
			st.count(&st.pages)
			if shots != "" && path == "/" {
				png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
				if err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(filepath.Join(shots, role.name+"-"+lang+".png"), png, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			for _, w := range []struct {
				name string
				w, h int64
			}{{"1366", wideW, wideH}, {"390", narrowW, narrowH}} {
				viewport(w.w, w.h)
				// The page's script reacts to the resize before the
				// next frame.
				if err := chromedp.Do(ctx, chromedp.Evaluate[chromedp.Void](`new Promise(r => requestAnimationFrame(() => r()))`, chromedp.EvalAwaitPromise)); err != nil {
					t.Fatal(err)
				}
				where := lang + "@" + w.name
				t0 := time.Now()
				found, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](layoutMeasure))
				st.add(&st.tMeasure, time.Since(t0))
				if err != nil {
					t.Fatalf("%s %s: measuring: %v", role.name, path, err)
				}
				if path == "/" {
					menu, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](layoutMenu))
					if err != nil {
						t.Fatalf("%s %s: the menu: %v", role.name, path, err)
					}
					found = append(found, menu...)
				}
				for _, p := range found {
					st.note(role.name, path, where, p)
				}
				// axe-core checks every page in the first language,
				// and each role's home in the others: what it checks
				// (names, roles, contrast, focus) rarely changes with
				// the words, and it is the slow part of the run. At
				// 390 px it checks again what the width can change.
				if li > 0 && (w.w == narrowW || path != "/") {
					continue
				}
				t0 = time.Now()
				var violations []browsertest.AxeViolation
				if w.w == narrowW {
					violations, err = browsertest.AxeRules(ctx, axeNarrowRules...)
				} else {
					violations, err = browsertest.Axe(ctx, browsertest.WCAG22AA...)
				}
				st.add(&st.tAxe, time.Since(t0))
				if err != nil {
					t.Fatalf("%s %s: %v", role.name, path, err)
				}
				for _, v := range violations {
					st.note(role.name, path, where, "axe "+v.String())
				}
			}
			viewport(wideW, wideH)
		}
	}
	for l, from := range roleLinks {
		st.links.add(role.name, l, from, session)
	}
}

// allowed returns the index of the allowlist entry that covers problem
// key ("role path: problem"), or -1.
func allowed(key string) int {
	for i, a := range layoutAllow {
		role, rest, _ := strings.Cut(key, " ")
		path, problem, _ := strings.Cut(rest, ": ")
		if (a.role == "" || a.role == role) && a.path == path && strings.HasPrefix(problem, a.problem) {
			return i
		}
	}
	return -1
}

// compact shortens a list of places: duplicates go, and a long list is cut.
func compact(where []string) []string {
	slices.Sort(where)
	where = slices.Compact(where)
	if len(where) > 12 {
		where = append(where[:12:12], fmt.Sprintf("and %d more", len(where)-12))
	}
	return where
}

func sep(path string) string {
	if strings.Contains(path, "?") {
		return "&"
	}
	return "?"
}

// pathShape is a link's path with every segment that holds a digit (an id,
// a cycle number) replaced by ":id", and without its query: links of one
// shape open the same kind of page.
func pathShape(link string) string {
	p, _, _ := strings.Cut(link, "?")
	segs := strings.Split(p, "/")
	for i, s := range segs {
		if strings.ContainsAny(s, "0123456789") {
			segs[i] = ":id"
		}
	}
	return strings.Join(segs, "/")
}

// isPage reports whether a link leads to a page of the UI (not the API, a
// static file or a variant of a page by its query).
func isPage(link string) bool {
	p, q, _ := strings.Cut(link, "?")
	return !strings.HasPrefix(p, "/api/") && !strings.HasPrefix(p, "/static/") &&
		(q == "" || strings.HasPrefix(q, "from="))
}

// linkChecker fetches each same-origin link once per role, as that role:
// a link that a role is shown must open for that role.
type linkChecker struct {
	base  string
	mu    sync.Mutex
	seen  map[string]int
	fetch []brokenLink
}

type brokenLink struct {
	role, link, from string
	status           int
	cookie           []string
}

func (c *linkChecker) add(role, link, from string, cookie []string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.fetch = append(c.fetch, brokenLink{role: role, link: link, from: from, cookie: cookie})
}

// check fetches the links, four at a time, and returns those that answer
// 4xx or 5xx.
func (c *linkChecker) check(t *testing.T) []brokenLink {
	t.Helper()
	client := &http.Client{Timeout: 30 * time.Second}
	var wg sync.WaitGroup
	var bad []brokenLink
	work := make(chan brokenLink)
	for range 4 {
		wg.Go(func() {
			for l := range work {
				req, err := http.NewRequestWithContext(context.Background(), http.MethodGet, c.base+l.link, nil)
				if err != nil {
					t.Errorf("link %s: %v", l.link, err)
					continue
				}
				req.Header.Set("Cookie", strings.Join(l.cookie, "; "))
				resp, err := client.Do(req)
				if err != nil {
					t.Errorf("link %s: %v", l.link, err)
					continue
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				c.mu.Lock()
				c.seen[l.role+" "+l.link] = resp.StatusCode
				if resp.StatusCode >= 400 {
					l.status = resp.StatusCode
					bad = append(bad, l)
				}
				c.mu.Unlock()
			}
		})
	}
	for _, l := range c.fetch {
		if u, err := url.Parse(l.link); err == nil && u.Path == "/logout" {
			continue
		}
		work <- l
	}
	close(work)
	wg.Wait()
	return bad
}

// fetchPage gets a page with the session's cookies and returns its status
// and HTML.
func fetchPage(t *testing.T, u string, cookies []string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, u, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Cookie", strings.Join(cookies, "; "))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(b)
}

var (
	hrefAttr  = regexp.MustCompile(`href="([^"]*)"`)
	csrfValue = regexp.MustCompile(`(csrf_token" value=")[^"]*"`)
)

// pageLinks returns the same-origin links of a page's HTML, without
// fragments.
func pageLinks(body string) []string {
	var out []string
	for _, m := range hrefAttr.FindAllStringSubmatch(body, -1) {
		l := html.UnescapeString(m[1])
		if !strings.HasPrefix(l, "/") || strings.HasPrefix(l, "//") {
			continue
		}
		l, _, _ = strings.Cut(l, "#")
		out = append(out, l)
	}
	return out
}

// mainFingerprint hashes the main part of a page, without its anti-forgery
// tokens (they differ per session).
func mainFingerprint(body string) string {
	_, m, _ := strings.Cut(body, "<main>")
	m, _, _ = strings.Cut(m, "</main>")
	sum := sha256.Sum256([]byte(csrfValue.ReplaceAllString(m, "$1\"")))
	return hex.EncodeToString(sum[:8])
}
