package browsertest

import (
	"bytes"
	"context"
	"fmt"
	"image/png"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// serve starts an HTTP server on 127.0.0.1 only.
func serve(t *testing.T, h http.Handler) *httptest.Server {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &httptest.Server{Listener: l, Config: &http.Server{Handler: h}}
	srv.Start()
	t.Cleanup(srv.Close)
	return srv
}

const page = `<!doctype html>
<html><head><meta charset="utf-8"><title>Bricstown test page</title></head>
<body><h1 id="greeting">Hello, Bricstown</h1>
<script>document.getElementById("greeting").dataset.ready = "yes";</script>
</body></html>`

func TestTitle(t *testing.T) {
	ctx := New(t)
	srv := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, page)
	}))

	if err := chromedp.Do(ctx, chromedp.Navigate(srv.URL)); err != nil {
		t.Fatal(err)
	}
	title, err := chromedp.Run(ctx, chromedp.Title())
	if err != nil {
		t.Fatal(err)
	}
	if title != "Bricstown test page" {
		t.Fatalf("title = %q, want %q", title, "Bricstown test page")
	}
	ready, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.getElementById("greeting").dataset.ready`))
	if err != nil || ready != "yes" {
		t.Fatalf("the script of the page did not run: %q, %v", ready, err)
	}

	path := Screenshot(ctx, t, "title page")
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("screenshot %s is no PNG: %v", path, err)
	}
	if sz := img.Bounds().Size(); sz.X != 1280 || sz.Y != 800 {
		t.Errorf("screenshot is %v, want 1280x800", sz)
	}
	if !strings.HasSuffix(path, filepath.Join("TestTitle", "title_page.png")) {
		t.Errorf("screenshot path %s", path)
	}
}

// TestActionTimeout checks that a context with a timeout, derived from the
// context of New, ends its action but not the browser.
func TestActionTimeout(t *testing.T) {
	ctx := New(t, WithTimeout(30*time.Second))
	srv := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, `<title>ok</title>`)
	}))

	short, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
	_, err := chromedp.Run(short, chromedp.Evaluate[bool](`new Promise(() => {})`, chromedp.EvalAwaitPromise))
	cancel()
	if err == nil {
		t.Fatal("a promise that never ends ended")
	}

	if err := chromedp.Do(ctx, chromedp.Navigate(srv.URL)); err != nil {
		t.Fatalf("the browser does not work after a canceled action: %v", err)
	}
	if title, err := chromedp.Run(ctx, chromedp.Title()); err != nil || title != "ok" {
		t.Fatalf("title = %q, %v", title, err)
	}
}

func TestSafeName(t *testing.T) {
	for in, want := range map[string]string{
		"TestX/sub case#1": "TestX_sub_case_1",
		"../../etc":        "_.._etc",
		"":                 "_",
		"ünï":              "_n_",
	} {
		if got := safeName(in); got != want {
			t.Errorf("safeName(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestMissing runs this test binary with no browser to find, and checks that
// New skips, or fails when CI=true.
func TestMissing(t *testing.T) {
	const child = "BROWSERTEST_INTERNAL_CHILD"
	if os.Getenv(child) != "" {
		New(t)
		t.Fatal("New returned without a browser")
	}
	for _, ci := range []string{"", "true"} {
		cmd := exec.Command(os.Args[0], "-test.run=^TestMissing$", "-test.v")
		cmd.Env = append(os.Environ(), child+"=1", EnvChromium+"=/nonexistent/chromium", "CI="+ci)
		out, err := cmd.CombinedOutput()
		t.Logf("CI=%q: err=%v\n%s", ci, err, out)
		if ci == "" && (err != nil || !strings.Contains(string(out), "--- SKIP: TestMissing")) {
			t.Errorf("without CI: want a skip")
		}
		if ci == "true" && (err == nil || !strings.Contains(string(out), "--- FAIL: TestMissing")) {
			t.Errorf("with CI=true: want a failure")
		}
		if !strings.Contains(string(out), EnvChromium+"=/nonexistent/chromium is not an executable program") {
			t.Errorf("the message does not say what is missing")
		}
	}
}

// TestFailureScreenshot runs a failing test in a child process with
// BRICSTOWN_TEST_ARTIFACTS set, and checks that New left a screenshot.
func TestFailureScreenshot(t *testing.T) {
	const child = "BROWSERTEST_INTERNAL_FAIL"
	if os.Getenv(child) != "" {
		ctx := New(t)
		if err := chromedp.Do(ctx, chromedp.Navigate("data:text/html,<title>failing</title><h1>failing</h1>")); err != nil {
			t.Fatal(err)
		}
		t.Error("failing on purpose")
		return
	}
	if _, ok := Available(); !ok {
		New(t) // skips or fails, as the other tests
	}
	artifacts := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^TestFailureScreenshot$", "-test.v")
	cmd.Env = append(os.Environ(), child+"=1", EnvArtifacts+"="+artifacts)
	out, err := cmd.CombinedOutput()
	if err == nil {
		t.Fatalf("the child passed:\n%s", out)
	}
	path := filepath.Join(artifacts, "TestFailureScreenshot", "failure.png")
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("no screenshot of the failure: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "browsertest: screenshot "+path) {
		t.Errorf("the child did not log the screenshot:\n%s", out)
	}
}
