package browser

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/chromedp/chromedp"
)

// ChromiumPath is where CI installs Debian's chromium (apt-get install
// chromium); TABELLA_CHROMIUM overrides it.
const ChromiumPath = "/usr/bin/chromium"

// FindChromium returns the Chromium executable, or an error if there is
// none.
func FindChromium() (string, error) {
	if p := os.Getenv("TABELLA_CHROMIUM"); p != "" {
		return p, nil
	}
	if _, err := os.Stat(ChromiumPath); err == nil {
		return ChromiumPath, nil
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p, nil
		}
	}
	return "", errors.New("browser: no Chromium found (apt-get install chromium, or set TABELLA_CHROMIUM)")
}

// Chromium starts a headless Chromium with a fresh user-data directory and
// returns a browser context (one tab). Without Chromium the test is
// skipped, except in CI (CI=true), where it fails.
func Chromium(t testing.TB, width, height int) context.Context {
	t.Helper()
	exe, err := FindChromium()
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("CI=%s: %v", os.Getenv("CI"), err)
		}
		t.Skip(err)
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(exe),
		chromedp.Flag("headless", true),
		chromedp.Flag("no-sandbox", true),
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.UserDataDir(filepath.Join(t.TempDir(), "chromium-profile")),
		chromedp.WindowSize(width, height),
	}
	actx, cancelA := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(actx)
	t.Cleanup(func() { cancel(); cancelA() })
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("starting Chromium: %v", err)
	}
	return ctx
}

// Screenshot saves a full-page PNG of the current page as dir/name.png.
func Screenshot(ctx context.Context, dir, name string) error {
	buf, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, name+".png"), buf, 0o644)
}
