package main

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"bricstown/internal/browsertest"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
)

// TestBrowserFestivalTicket buys a festival ticket through the pages as a
// company's trader (the programme, the performance, the purchase, the
// ticket with its QR code), then, as the organiser's door staff on a
// phone-sized window, checks the ticket's code in at the door page: the
// first check admits, the second says when it was admitted.
func TestBrowserFestivalTicket(t *testing.T) {
	ctx := browsertest.New(t, browsertest.WithTimeout(3*time.Minute), browsertest.WithWindowSize(1366, 900))
	srv := startServer(t, filepath.Join(t.TempDir(), "fest.db"), "--demo")
	signIn := func(email string) {
		t.Helper()
		if _, err := chromedp.Call(ctx, network.ClearBrowserCookies, cdp.Empty{}); err != nil {
			t.Fatal(err)
		}
		if err := chromedp.Do(ctx,
			chromedp.Navigate(srv.url+"/login?lang=en"),
			chromedp.WaitVisible(chromedp.CSS(`#email`)),
			chromedp.SendKeys(chromedp.CSS(`#email`), email),
			chromedp.SendKeys(chromedp.CSS(`#password`), "bricstown-demo"),
			chromedp.Click(chromedp.CSS(`#login`)),
			chromedp.WaitVisible(chromedp.CSS(`header.top nav.main`)),
		); err != nil {
			browsertest.Screenshot(ctx, t, "sign in "+email)
			t.Fatalf("sign in as %s: %v", email, err)
		}
	}

	signIn("trader@kazgrain.kz")
	if err := chromedp.Do(ctx, chromedp.Navigate(srv.url+"/festivals?lang=en"), chromedp.WaitVisible(chromedp.CSS(`#festivals`))); err != nil {
		browsertest.Screenshot(ctx, t, "festivals")
		t.Fatal(err)
	}
	href, err := chromedp.Run(ctx, chromedp.Evaluate[string](`(() => {
		const a = [...document.querySelectorAll('#festivals .fest-next a')].find(a => a.textContent.includes('Jazz'));
		return a ? a.getAttribute('href') : '';
	})()`))
	if err != nil || href == "" {
		browsertest.Screenshot(ctx, t, "no jazz")
		t.Fatalf("the programme lists no jazz concert: %v", err)
	}
	if err := chromedp.Do(ctx,
		chromedp.Navigate(srv.url+href),
		chromedp.WaitVisible(chromedp.CSS(`#buy-form #categories`)),
		chromedp.WaitVisible(chromedp.CSS(`#pay-from`)),
		chromedp.Click(chromedp.CSS(`#buy-submit`)),
		chromedp.WaitVisible(chromedp.CSS(`#ticket-qr svg`)),
	); err != nil {
		browsertest.Screenshot(ctx, t, "buy")
		t.Fatalf("buy a ticket: %v", err)
	}
	token, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(`#ticket-token`)))
	if err != nil || len(strings.ReplaceAll(token, " ", "")) != 32 {
		t.Fatalf("ticket code %q: %v", token, err)
	}
	if status, _ := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(`#ticket-status`))); status != "Valid" {
		t.Fatalf("ticket status %q", status)
	}

	// The door, on a phone.
	signIn("events@expo.town.kz")
	check := func(want string) string {
		t.Helper()
		if err := chromedp.Do(ctx,
			chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile),
			chromedp.Navigate(srv.url+"/festival/door?lang=en"),
			chromedp.WaitVisible(chromedp.CSS(`#door-token`)),
			chromedp.SendKeys(chromedp.CSS(`#door-token`), token),
			chromedp.Click(chromedp.CSS(`#door-submit`)),
			chromedp.WaitVisible(chromedp.CSS(`#door-verdict.`+want)),
		); err != nil {
			browsertest.Screenshot(ctx, t, "door "+want)
			t.Fatalf("door (%s): %v", want, err)
		}
		text, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(`#door-verdict`)))
		if err != nil {
			t.Fatal(err)
		}
		wide, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.documentElement.scrollWidth > document.documentElement.clientWidth + 1`))
		if err != nil || wide {
			t.Fatalf("the door page is wider than the phone: %v", err)
		}
		return text
	}
	if v := check("admit"); v != "ADMIT" {
		t.Fatalf("first check: %q", v)
	}
	if v := check("refuse"); !strings.HasPrefix(v, "Already admitted at ") {
		t.Fatalf("second check: %q", v)
	}
}
