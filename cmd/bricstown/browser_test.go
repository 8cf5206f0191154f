package main

import (
	"path/filepath"
	"strings"
	"testing"

	"bricstown/internal/browsertest"

	"github.com/chromedp/chromedp"
)

// TestBrowserLoginLanguageOverviewLogout drives Debian's Chromium through
// the demo town as a person would: sign in to the home, switch to Russian,
// open another page, sign out.
func TestBrowserLoginLanguageOverviewLogout(t *testing.T) {
	ctx := browsertest.New(t)
	srv := startServer(t, filepath.Join(t.TempDir(), "b.db"), "--demo")
	step := func(what string, steps ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(ctx, steps...); err != nil {
			browsertest.Screenshot(ctx, t, "failed "+what)
			t.Fatalf("%s: %v", what, err)
		}
	}
	text := func(sel chromedp.CSS) string {
		t.Helper()
		s, err := chromedp.Run(ctx, chromedp.Text(sel))
		if err != nil {
			t.Fatalf("text of %s: %v", sel, err)
		}
		return s
	}
	step("sign in",
		chromedp.Navigate(srv.url+"/"),
		chromedp.WaitVisible(chromedp.CSS(`#email`)),
		chromedp.SendKeys(chromedp.CSS(`#email`), "treasury@steppebank.kz"),
		chromedp.SendKeys(chromedp.CSS(`#password`), "bricstown-demo"),
		chromedp.Click(chromedp.CSS(`#login`)),
		chromedp.WaitVisible(chromedp.CSS(`#home-title`)),
	)
	// The user's profile language (English) applies first; a bank's home
	// is its work before the next settlement cycle.
	if h := text(`#home-title`); !strings.Contains(h, "What needs you now") {
		t.Fatalf("home heading %q", h)
	}
	if h := text(`#h-bank-h`); !strings.Contains(h, "settlement cycle") {
		t.Fatalf("the bank's home part %q", h)
	}
	step("switch to Russian",
		chromedp.Click(chromedp.CSS(`a[data-lang="ru"]`)),
		chromedp.WaitVisible(chromedp.CSS(`html[lang="ru"] #home-title`)),
	)
	browsertest.Screenshot(ctx, t, "home-ru")
	if h := text(`#home-title`); !strings.Contains(h, "Что ждёт вас") {
		t.Fatalf("heading after switching to Russian: %q", h)
	}
	if nav := text(`nav.main`); !strings.Contains(nav, "Мои задачи") || strings.Contains(nav, "My work") {
		t.Fatalf("navigation not in Russian: %q", nav)
	}
	// The choice sticks on the next page.
	step("open my organisation",
		chromedp.Navigate(srv.url+"/org"),
		chromedp.WaitVisible(chromedp.CSS(`html[lang="ru"] h1`)),
	)
	browsertest.Screenshot(ctx, t, "org-ru")
	step("sign out",
		chromedp.Click(chromedp.CSS(`#logout`)),
		chromedp.WaitVisible(chromedp.CSS(`#email`)),
		// The home is closed again.
		chromedp.Navigate(srv.url+"/"),
		chromedp.WaitVisible(chromedp.CSS(`#email`)),
	)
	if u, err := chromedp.Run(ctx, chromedp.Location()); err != nil || !strings.Contains(u, "/login") {
		t.Fatalf("after sign-out the home did not send to login: %q %v", u, err)
	}
}
