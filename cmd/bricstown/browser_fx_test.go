package main

import (
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"bricstown/internal/browsertest"

	"github.com/chromedp/chromedp"
)

// TestBrowserFXQuoteCountsDown asks for a quote as a trader would and
// checks that its validity counts down in the page (it used to stay at
// "30 s left"), that at zero the page stops offering the conversion and
// offers a new quote, and that asking again brings a fresh, counting quote.
func TestBrowserFXQuoteCountsDown(t *testing.T) {
	ctx := browsertest.New(t)
	srv := startServer(t, filepath.Join(t.TempDir(), "fx.db"), "--demo")
	step := func(what string, steps ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(ctx, steps...); err != nil {
			browsertest.Screenshot(ctx, t, "failed "+what)
			t.Fatalf("%s: %v", what, err)
		}
	}
	seconds := func() int {
		t.Helper()
		s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(`#quote-countdown`)))
		if err != nil {
			t.Fatalf("countdown: %v", err)
		}
		n, err := strconv.Atoi(strings.Trim(strings.Map(func(r rune) rune {
			if r >= '0' && r <= '9' {
				return r
			}
			return ' '
		}, s), " "))
		if err != nil {
			t.Fatalf("countdown text %q", s)
		}
		return n
	}
	step("sign in",
		chromedp.Navigate(srv.url+"/"),
		chromedp.WaitVisible(chromedp.CSS(`#email`)),
		chromedp.SendKeys(chromedp.CSS(`#email`), "trader@kazgrain.kz"),
		chromedp.SendKeys(chromedp.CSS(`#password`), "bricstown-demo"),
		chromedp.Click(chromedp.CSS(`#login`)),
		chromedp.WaitVisible(chromedp.CSS(`nav.main`)),
	)
	step("ask for a quote",
		chromedp.Navigate(srv.url+"/fx"),
		chromedp.WaitVisible(chromedp.CSS(`#q-sell-amount`)),
		chromedp.SendKeys(chromedp.CSS(`#q-sell-amount`), "100000"),
		chromedp.Click(chromedp.CSS(`#quote-form button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`#quote-countdown`)),
	)
	first := seconds()
	// The number goes down by itself (awaited, not slept for).
	step("count down",
		chromedp.Poll[chromedp.Void](`(() => { const m = document.querySelector('#quote-countdown').textContent.match(/\d+/); return m && +m[0] < `+strconv.Itoa(first)+`; })()`),
	)
	if n := seconds(); n >= first || n <= 0 {
		t.Fatalf("countdown went from %d to %d", first, n)
	}
	// Let it run out quickly: the same element, restarted with one second.
	step("expire",
		chromedp.Evaluate[chromedp.Void](`(() => { const o = document.getElementById('quote-countdown'); const n = o.cloneNode(true);
			delete n.dataset.started; n.dataset.countdown = '1'; o.replaceWith(n);
			document.dispatchEvent(new CustomEvent('htmx:load', {detail: {elt: n}})); })()`),
		chromedp.Poll[chromedp.Void](`document.getElementById('quote-countdown').classList.contains('badge')`),
		chromedp.WaitVisible(chromedp.CSS(`#requote button`)),
	)
	if hidden, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`(() => { const f = document.getElementById('convert-form'); return !f || f.hidden; })()`)); err != nil || !hidden {
		t.Fatalf("an expired quote still offers the conversion (%v)", err)
	}
	step("ask again",
		chromedp.Click(chromedp.CSS(`#requote button`)),
		chromedp.Poll[chromedp.Void](`(() => { const c = document.getElementById('quote-countdown'); return !!c && !c.classList.contains('badge'); })()`),
	)
	if n := seconds(); n <= 1 {
		t.Fatalf("the new quote counts %d seconds", n)
	}
	if v, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.getElementById('requote').hidden`)); err != nil || !v {
		t.Fatalf("the fresh quote still offers to ask again (%v)", err)
	}
}
