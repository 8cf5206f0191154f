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

// TestBrowserNames sends a payment by picking a saved counterparty (no id
// typed), then opens the accounts list, the statement and the audit log in
// every language at a desktop and a phone width: none may overflow
// sideways, and the audit log must read in the page's language.
func TestBrowserNames(t *testing.T) {
	ctx := browsertest.New(t, browsertest.WithTimeout(3*time.Minute))
	srv := startServer(t, filepath.Join(t.TempDir(), "n.db"), "--demo")
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
			chromedp.WaitVisible(chromedp.CSS(`#home-title`)),
		)
	}
	overflow := func(what string) {
		t.Helper()
		wide, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.documentElement.scrollWidth > document.documentElement.clientWidth + 1`))
		if err != nil {
			t.Fatal(err)
		}
		if wide {
			browsertest.Screenshot(ctx, t, "overflow "+what)
			t.Errorf("%s overflows sideways", what)
		}
	}

	signIn("trader@kazgrain.kz")
	// Pay through the picker: the first KZT account's form offers the
	// demo's saved counterparty by name.
	step("open the accounts list",
		chromedp.Navigate(srv.url+"/accounts?lang=en&currency=KZT"),
		chromedp.WaitVisible(chromedp.CSS(`#account-list`)),
	)
	href, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector('#account-list tbody a').getAttribute('href')`))
	if err != nil {
		t.Fatal(err)
	}
	step("open the account", chromedp.Navigate(srv.url+href), chromedp.WaitVisible(chromedp.CSS(`#to-pick`)))
	// Choose by the label a person reads, not by id.
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[string](`(() => { const s = document.querySelector('#to-pick');
		const o = [...s.options].find(o => o.text.includes('Khorgos Gateway Logistics'));
		s.value = o.value; return o.value })()`)); err != nil {
		t.Fatalf("no saved counterparty in the picker: %v", err)
	}
	step("pay",
		chromedp.SendKeys(chromedp.CSS(`#amount`), "1.25"),
		chromedp.Click(chromedp.CSS(`#transfer-form button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`#transfer-result`)),
	)
	stmt, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(`table.statement tbody tr`)))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(stmt, "Khorgos Gateway Logistics account") || strings.Contains(stmt, "…") {
		t.Fatalf("the newest statement line does not name the payee: %q", stmt)
	}
	for _, width := range []int{1366, 390} {
		step(fmt.Sprint("resize ", width), chromedp.EmulateViewport(int64(width), 900))
		for _, lang := range []string{"en", "ru", "zh", "kk", "pt"} {
			for _, path := range []string{"/accounts", href} {
				step(path+" "+lang, chromedp.Navigate(srv.url+path+"?lang="+lang), chromedp.WaitVisible(chromedp.CSS(`html[lang="`+lang+`"] h1`)))
				overflow(fmt.Sprintf("%s %s at %d", path, lang, width))
			}
		}
	}

	step("sign out", chromedp.Click(chromedp.CSS(`#logout`)), chromedp.WaitVisible(chromedp.CSS(`#email`)))
	signIn("admin@kazgrain.kz")
	for _, width := range []int{1366, 390} {
		step(fmt.Sprint("resize ", width), chromedp.EmulateViewport(int64(width), 900))
		for lang, want := range map[string]string{"en": "Transfers made", "ru": "Переводы выполнены", "zh": "转账已完成", "kk": "Аударымдар жасалды", "pt": "Transferências feitas"} {
			step("audit "+lang,
				chromedp.Navigate(srv.url+"/audit?action=ledger.&lang="+lang),
				chromedp.WaitVisible(chromedp.CSS(`#audit-list`)),
			)
			table, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(`#audit-list`)))
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(table, want) || strings.Contains(table, "ledger.transfers") {
				t.Errorf("audit log in %s does not read %q: %.300s", lang, want, table)
			}
			overflow(fmt.Sprintf("audit %s at %d", lang, width))
		}
	}
}
