package main

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"bricstown/internal/browsertest"

	"github.com/chromedp/chromedp"
)

// TestBrowserHomes opens each role's home in every language, wide and
// narrow, in Chromium: the home holds its role's part, shows no catalogue
// key, and nothing on it is wider than the window. The screenshots
// (BRICSTOWN_TEST_ARTIFACTS/TestBrowserHomes/<role>-<lang>-<width>.png)
// are the ones docs/screenshots is made from.
func TestBrowserHomes(t *testing.T) {
	ctx := browsertest.New(t, browsertest.WithTimeout(4*time.Minute), browsertest.WithWindowSize(1366, 900))
	srv := startServer(t, filepath.Join(t.TempDir(), "h.db"), "--demo")
	roles := []struct{ name, email, part string }{
		{"trader", "trader@kazgrain.kz", "#h-trader"},
		{"bank", "treasury@steppebank.kz", "#h-bank"},
		{"centre", "operations@settlement.town.kz", "#h-centre"},
		{"customs", "officer@customs.kz", "#h-customs"},
		{"quarantine", "inspector@sps.kz", "#h-sps"},
		{"admin", "admin@town.kz", "#h-admin"},
	}
	widths := []struct {
		w, h   int
		mobile bool
	}{{1366, 900, false}, {390, 844, true}}
	for _, r := range roles {
		if err := chromedp.Do(ctx,
			chromedp.Navigate(srv.url+"/login?lang=en"),
			chromedp.WaitVisible(chromedp.CSS(`#email`)),
			chromedp.SendKeys(chromedp.CSS(`#email`), r.email),
			chromedp.SendKeys(chromedp.CSS(`#password`), "bricstown-demo"),
			chromedp.Click(chromedp.CSS(`#login`)),
			chromedp.WaitVisible(chromedp.CSS(r.part)),
		); err != nil {
			browsertest.Screenshot(ctx, t, "failed sign-in "+r.name)
			t.Fatalf("%s: sign in: %v", r.name, err)
		}
		for _, size := range widths {
			emulate := chromedp.EmulateViewport(int64(size.w), int64(size.h))
			if size.mobile {
				emulate = chromedp.EmulateViewport(int64(size.w), int64(size.h), chromedp.EmulateMobile)
			}
			for _, lang := range []string{"en", "ru", "zh", "kk", "pt"} {
				what := fmt.Sprintf("%s-%s-%d", r.name, lang, size.w)
				if err := chromedp.Do(ctx, emulate,
					chromedp.Navigate(srv.url+"/?lang="+lang),
					chromedp.WaitVisible(chromedp.CSS(`html[lang="`+lang+`"] `+r.part)),
				); err != nil {
					browsertest.Screenshot(ctx, t, "failed "+what)
					t.Fatalf("%s: %v", what, err)
				}
				text, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(`main`)))
				if err != nil {
					t.Fatalf("%s: %v", what, err)
				}
				if strings.Contains(text, "home.") {
					t.Errorf("%s: a catalogue key shows: %q", what, text)
				}
				// The widest element of the home's cards against the window.
				wide, err := chromedp.Run(ctx, chromedp.Evaluate[string](`(() => {
					const w = document.documentElement.clientWidth;
					for (const el of document.querySelectorAll("main .home *, main #h-balances *")) {
						const r = el.getBoundingClientRect();
						if (r.right > w + 1 && !el.closest(".table-wrap")) return el.tagName + " " + (el.id || el.className) + " ends at " + Math.round(r.right) + " of " + w;
					}
					return "";
				})()`))
				if err != nil {
					t.Fatalf("%s: %v", what, err)
				}
				if wide != "" {
					t.Errorf("%s: wider than the window: %s", what, wide)
				}
				browsertest.Screenshot(ctx, t, what)
			}
		}
		if err := chromedp.Do(ctx, chromedp.EmulateViewport(1366, 900), chromedp.Navigate(srv.url+"/?lang=en"),
			chromedp.WaitVisible(chromedp.CSS(`#logout`)), chromedp.Click(chromedp.CSS(`#logout`)),
			chromedp.WaitVisible(chromedp.CSS(`#email`))); err != nil {
			t.Fatalf("%s: sign out: %v", r.name, err)
		}
	}
}
