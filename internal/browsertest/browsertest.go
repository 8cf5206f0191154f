// Package browsertest runs chromedp browser tests against a headless
// Chromium.
//
// A test calls [New] and runs chromedp actions with the context that it
// returns:
//
//	func TestPage(t *testing.T) {
//		ctx := browsertest.New(t)
//		srv := httptest.NewServer(handler) // listens on 127.0.0.1
//		defer srv.Close()
//		if err := chromedp.Do(ctx, chromedp.Navigate(srv.URL)); err != nil {
//			browsertest.Screenshot(ctx, t, "navigate")
//			t.Fatal(err)
//		}
//		title, err := chromedp.Run(ctx, chromedp.Title())
//		...
//	}
//
// # Which browser
//
// New uses the program that BRICSTOWN_CHROMIUM names, else /usr/bin/chromium,
// else chromium or chromium-browser from PATH. On Debian, install it with
// "apt-get install chromium". When none is found, New skips the test with a
// message that says what is missing; when the environment variable CI is
// true (1, true or yes: [testenv.CI]), it fails the test instead, so that a CI job cannot pass without
// running its browser tests.
//
// # The browser
//
// Each call of New starts its own browser, with a new profile in a
// directory under t.TempDir(), headless, without the sandbox (the tests may
// run as root, and containers rarely allow the sandbox), without GPU, QUIC,
// background networking, component updates, sync and /dev/shm. The browser
// and everything that the test does with it must finish within the timeout
// ([DefaultTimeout] or [WithTimeout]); after it, the browser is stopped and
// actions fail with context.DeadlineExceeded. The browser is stopped when the
// test ends.
//
// The timeout belongs to the context of the browser. To bound one action
// more tightly, derive a context with context.WithTimeout from the context of
// New: New has already started the browser, so that the cancellation of the
// derived context stops only the action.
//
// # Screenshots
//
// [Screenshot] writes a PNG of the page to the directory that
// BRICSTOWN_TEST_ARTIFACTS names (or to t.TempDir(), which the test removes).
// When a test fails, New logs the last output of the browser and, when
// BRICSTOWN_TEST_ARTIFACTS is set, takes a screenshot named "failure".
package browsertest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/chromedp"

	"bricstown/internal/testenv"
)

// Environment variables that browsertest reads.
const (
	// EnvChromium names the browser program.
	EnvChromium = "BRICSTOWN_CHROMIUM"
	// EnvArtifacts names a directory for screenshots.
	EnvArtifacts = "BRICSTOWN_TEST_ARTIFACTS"
	// EnvCI, when true (see testenv.CI), turns a skip for a missing
	// browser into a failure.
	EnvCI = testenv.EnvCI
)

// DefaultTimeout is how long a test may use its browser, start included.
const DefaultTimeout = 60 * time.Second

// An Option changes the browser that [New] starts.
type Option func(*config)

type config struct {
	timeout       time.Duration
	width, height int
	flags         [][2]any
}

// WithTimeout sets how long the test may use the browser, instead of
// [DefaultTimeout].
func WithTimeout(d time.Duration) Option {
	return func(c *config) { c.timeout = d }
}

// WithWindowSize sets the size of the window and of the viewport, and so of
// screenshots of a page that fits. The default is 1280x800.
func WithWindowSize(width, height int) Option {
	return func(c *config) { c.width, c.height = width, height }
}

// WithFlag adds a command line flag of the browser, as [chromedp.Flag]
// does: a string value gives --name=value, true gives --name, and false
// removes a flag that New would set.
func WithFlag(name string, value any) Option {
	return func(c *config) { c.flags = append(c.flags, [2]any{name, value}) }
}

// Chromium returns the path of the browser that New would use.
func Chromium() (string, error) {
	if p := os.Getenv(EnvChromium); p != "" {
		full, err := exec.LookPath(p)
		if err != nil {
			return "", fmt.Errorf("%s=%s is not an executable program: %w", EnvChromium, p, err)
		}
		return full, nil
	}
	for _, name := range []string{"/usr/bin/chromium", "chromium", "chromium-browser"} {
		if full, err := exec.LookPath(name); err == nil {
			return full, nil
		}
	}
	return "", fmt.Errorf("no Chromium: %s is not set, and neither /usr/bin/chromium nor chromium or chromium-browser in PATH exists (on Debian: apt-get install chromium)", EnvChromium)
}

// Available reports whether New can start a browser, without starting it.
// When ok is true, reason names the program; otherwise it says what is
// missing.
func Available() (reason string, ok bool) {
	p, err := Chromium()
	if err != nil {
		return err.Error(), false
	}
	return p, true
}

// New starts a headless Chromium for t and returns a chromedp context of a
// tab in it. The browser stops when t ends. New skips t when there is no
// browser (or fails it when CI is true), and fails t when the browser does
// not start.
func New(t testing.TB, opts ...Option) context.Context {
	t.Helper()
	c := config{timeout: DefaultTimeout, width: 1280, height: 800}
	for _, o := range opts {
		o(&c)
	}

	path, err := Chromium()
	if err != nil {
		if testenv.CI() {
			t.Fatalf("browsertest: %s=%s requires a browser, but there is none: %v", EnvCI, os.Getenv(EnvCI), err)
		}
		t.Skipf("browsertest: skipping, %v", err)
	}

	profile := filepath.Join(t.TempDir(), "profile")
	output := &tailBuffer{max: 16 << 10}
	allocOpts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(path),
		chromedp.UserDataDir(profile),
		chromedp.Headless, // also hides scrollbars and mutes audio
		chromedp.NoSandbox,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		// No keyring prompts or D-Bus calls for saved passwords.
		chromedp.Flag("password-store", "basic"),
		chromedp.Flag("use-mock-keychain", true),
		chromedp.WindowSize(c.width, c.height),
		chromedp.CombinedOutput(output),
	}
	for _, f := range c.flags {
		allocOpts = append(allocOpts, chromedp.Flag(f[0].(string), f[1]))
	}

	// The context does not derive from t.Context(), which ends before the
	// cleanups of the test run: they may still want the browser, for
	// example to take a screenshot.
	timeoutCtx, cancelTimeout := context.WithTimeout(context.Background(), c.timeout)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(timeoutCtx, allocOpts...)

	// chromedp logs from its own goroutines; t.Logf must not be called
	// after the test ended.
	var logMu sync.Mutex
	ended := false
	logf := func(format string, args ...any) {
		logMu.Lock()
		defer logMu.Unlock()
		if !ended {
			t.Logf("browsertest: chromedp: "+format, args...)
		}
	}
	ctx, cancelCtx := chromedp.NewContext(allocCtx, chromedp.WithLogf(logf), chromedp.WithErrorf(logf))

	t.Cleanup(func() {
		if t.Failed() && os.Getenv(EnvArtifacts) != "" && ctx.Err() == nil {
			Screenshot(ctx, t, "failure")
		}
		cancelCtx()
		cancelAlloc()
		cancelTimeout()
		logMu.Lock()
		ended = true
		logMu.Unlock()
		if t.Failed() {
			t.Logf("browsertest: output of the browser (last %d bytes):\n%s", output.max, output.String())
		}
	})

	// Start the browser now, so that a broken browser fails here with its
	// output, and so that a context derived from ctx with a timeout
	// cancels only its action (see the package documentation).
	start := time.Now()
	version, err := chromedp.Run(ctx, func(ctx context.Context, tgt *chromedp.Target) (browser.GetVersionResult, error) {
		return cdp.Call(ctx, chromedp.FromContext(ctx).Browser, browser.GetVersion, cdp.Empty{})
	})
	if err == nil {
		// The window holds more than the page; make the viewport, and
		// so screenshots, exactly the size asked for.
		err = chromedp.Do(ctx, chromedp.EmulateViewport(int64(c.width), int64(c.height)))
	}
	if err != nil {
		t.Fatalf("browsertest: starting %s: %v\n%s", path, err, output.String())
	}
	t.Logf("browsertest: started %s (%s) in %v, timeout %v", path, version.Product,
		time.Since(start).Round(time.Millisecond), c.timeout)
	return ctx
}

// Screenshot writes a PNG of the whole page of the tab of ctx to
// <dir>/<test name>/<name>.png and returns its path. The directory is
// BRICSTOWN_TEST_ARTIFACTS, or t.TempDir() when it is not set. A failure is
// an error of t, unless ctx has ended (the test then failed already).
func Screenshot(ctx context.Context, t testing.TB, name string) string {
	t.Helper()
	path, err := screenshot(ctx, t, name)
	if err != nil {
		if ctx.Err() != nil {
			t.Logf("browsertest: screenshot %q: %v", name, err)
		} else {
			t.Errorf("browsertest: screenshot %q: %v", name, err)
		}
		return ""
	}
	t.Logf("browsertest: screenshot %s", path)
	return path
}

func screenshot(ctx context.Context, t testing.TB, name string) (string, error) {
	base := os.Getenv(EnvArtifacts)
	if base == "" {
		base = t.TempDir()
	}
	dir := filepath.Join(base, safeName(t.Name()))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		return "", err
	}
	if len(png) == 0 {
		return "", errors.New("the browser gave an empty image")
	}
	path := filepath.Join(dir, safeName(name)+".png")
	if err := os.WriteFile(path, png, 0o644); err != nil {
		return "", err
	}
	return path, nil
}

// safeName turns s into a file name: letters, digits, '-', '_' and '.'.
func safeName(s string) string {
	s = strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-', r == '_', r == '.':
			return r
		}
		return '_'
	}, s)
	s = strings.Trim(s, ".")
	if s == "" {
		s = "_"
	}
	if len(s) > 120 {
		s = s[:120]
	}
	return s
}

// tailBuffer keeps the last max bytes written to it. The browser writes to
// it from another goroutine.
type tailBuffer struct {
	mu  sync.Mutex
	max int
	buf []byte
}

func (b *tailBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.buf = append(b.buf, p...)
	if over := len(b.buf) - b.max; over > 0 {
		b.buf = append(b.buf[:0], b.buf[over:]...)
	}
	return len(p), nil
}

func (b *tailBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return string(bytes.TrimSpace(b.buf))
}
