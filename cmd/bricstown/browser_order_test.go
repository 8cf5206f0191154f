package main

import (
	"path/filepath"
	"strings"
	"testing"

	"bricstown/internal/browsertest"

	"github.com/chromedp/chromedp"
)

// TestBrowserOrderThroughPages does through the web pages what
// TestAPIOrderEndToEnd does through the API: a buyer posts an RFQ, a
// seller quotes, the buyer accepts and pays into escrow, the seller
// confirms (the declaration and the shipment are drafted) and ships, the
// buyer confirms delivery and the escrow is released.
func TestBrowserOrderThroughPages(t *testing.T) {
	ctx := browsertest.New(t)
	srv := startServer(t, filepath.Join(t.TempDir(), "order.db"), "--demo")
	step := func(what string, steps ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(ctx, steps...); err != nil {
			browsertest.Screenshot(ctx, t, "failed "+what)
			t.Fatalf("%s: %v", what, err)
		}
	}
	signIn := func(email string) {
		t.Helper()
		step("sign in as "+email,
			chromedp.Navigate(srv.url+"/login"),
			chromedp.WaitVisible(chromedp.CSS(`#email`)),
			chromedp.SendKeys(chromedp.CSS(`#email`), email),
			chromedp.SendKeys(chromedp.CSS(`#password`), "bricstown-demo"),
			chromedp.Click(chromedp.CSS(`#login`)),
			chromedp.WaitVisible(chromedp.CSS(`nav.main`)),
		)
	}
	signOut := func() {
		t.Helper()
		step("sign out", chromedp.Click(chromedp.CSS(`#logout`)), chromedp.WaitVisible(chromedp.CSS(`#email`)))
	}
	location := func() string {
		u, err := chromedp.Run(ctx, chromedp.Location())
		if err != nil {
			t.Fatal(err)
		}
		return u
	}
	const goods = "Granular urea for the spring sowing"
	signIn("trader@kazgrain.kz")
	step("post an RFQ",
		chromedp.Navigate(srv.url+"/market/rfqs"),
		chromedp.WaitVisible(chromedp.CSS(`#rfq-form`)),
		chromedp.SendKeys(chromedp.CSS(`#rfq-goods`), goods),
		chromedp.SendKeys(chromedp.CSS(`#rfq-hs`), "310210"),
		chromedp.SendKeys(chromedp.CSS(`#rfq-qty`), "12"),
		chromedp.SetValue(chromedp.CSS(`#rfq-unit`), "t"),
		chromedp.SendKeys(chromedp.CSS(`#rfq-dest`), "KZAST"),
		chromedp.SetValue(chromedp.CSS(`#rfq-incoterm`), "FCA"),
		chromedp.Click(chromedp.CSS(`#rfq-submit`)),
		chromedp.WaitVisible(chromedp.CSS(`#no-quotes`)),
	)
	rfqURL := location()
	signOut()

	signIn("trader@sibenergy.ru")
	step("quote",
		chromedp.Navigate(rfqURL),
		chromedp.WaitVisible(chromedp.CSS(`#quote-form`)),
		chromedp.SendKeys(chromedp.CSS(`#q-price`), "158500.00"),
		chromedp.SendKeys(chromedp.CSS(`#q-moq`), "10"),
		chromedp.SendKeys(chromedp.CSS(`#q-origin`), "RU"),
		chromedp.Click(chromedp.CSS(`#quote-submit`)),
		chromedp.WaitVisible(chromedp.CSS(`#quotes`)),
	)
	signOut()

	signIn("trader@kazgrain.kz")
	step("accept and pay",
		chromedp.Navigate(rfqURL),
		chromedp.WaitVisible(chromedp.CSS(`button.accept-quote`)),
		chromedp.Click(chromedp.CSS(`button.accept-quote`)),
		chromedp.WaitVisible(chromedp.CSS(`#pay-form`)),
		chromedp.Click(chromedp.CSS(`#pay-submit`)),
		chromedp.WaitVisible(chromedp.CSS(`#order-status[data-status="paid"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#order-escrow[data-state="held"]`)),
	)
	orderURL := location()
	signOut()

	signIn("trader@sibenergy.ru")
	step("confirm and ship",
		chromedp.Navigate(orderURL),
		chromedp.WaitVisible(chromedp.CSS(`#confirm-form`)),
		chromedp.SendKeys(chromedp.CSS(`#ship-from`), "RUOMS"),
		chromedp.SendKeys(chromedp.CSS(`#border-post`), "KZPPK"),
		chromedp.SetValue(chromedp.CSS(`#mode`), "road"),
		chromedp.SendKeys(chromedp.CSS(`#gross-kg`), "12060"),
		chromedp.SendKeys(chromedp.CSS(`#net-kg`), "12000"),
		chromedp.Click(chromedp.CSS(`#confirm-submit`)),
		chromedp.WaitVisible(chromedp.CSS(`#order-declaration`)),
		chromedp.WaitVisible(chromedp.CSS(`#order-shipment`)),
		chromedp.Click(chromedp.CSS(`#ship-submit`)),
		chromedp.WaitVisible(chromedp.CSS(`#order-status[data-status="shipped"]`)),
	)
	signOut()

	signIn("trader@kazgrain.kz")
	step("confirm delivery",
		chromedp.Navigate(orderURL),
		chromedp.WaitVisible(chromedp.CSS(`#deliver-submit`)),
		chromedp.Click(chromedp.CSS(`#deliver-submit`)),
		chromedp.WaitVisible(chromedp.CSS(`#order-status[data-status="released"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#order-escrow[data-state="released"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#review-form`)),
	)
	tl, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(`#order-timeline`)))
	if err != nil || strings.Count(tl, "\n") < 5 {
		t.Fatalf("timeline %q %v", tl, err)
	}
	browsertest.Screenshot(ctx, t, "order-released")
}
