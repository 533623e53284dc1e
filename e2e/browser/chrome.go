package browser

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

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
		if os.Getenv("CI") == "true" {
			t.Fatalf("CI=%s: %v", os.Getenv("CI"), err)
		}
		t.Skip(err)
	}
	profile := filepath.Join(t.TempDir(), "chromium-profile")
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
		chromedp.UserDataDir(profile),
		chromedp.WindowSize(width, height),
	}
	actx, cancelA := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(actx)
	t.Cleanup(func() { cancel(); cancelA() })
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("starting Chromium: %v", err)
	}
	return context.WithValue(ctx, profileKey{}, profile)
}

type profileKey struct{}

// CPUTime returns the CPU time (user + system) used so far by the
// processes of the Chromium started by [Chromium] for ctx, read from
// /proc; benchmarks use it because wall time on a shared machine says
// more about the neighbours than about the code. It returns 0 where
// /proc is missing.
func CPUTime(ctx context.Context) time.Duration {
	profile, _ := ctx.Value(profileKey{}).(string)
	if profile == "" {
		return 0
	}
	dirs, _ := os.ReadDir("/proc")
	var ticks int64
	for _, d := range dirs {
		pid := d.Name()
		if pid[0] < '0' || pid[0] > '9' {
			continue
		}
		cmd, err := os.ReadFile("/proc/" + pid + "/cmdline")
		if err != nil || !bytes.Contains(cmd, []byte(profile)) {
			continue
		}
		stat, err := os.ReadFile("/proc/" + pid + "/stat")
		if err != nil {
			continue
		}
		// Fields after the command name (which is in parentheses):
		// state is field 3, utime 14, stime 15.
		i := bytes.LastIndexByte(stat, ')')
		if i < 0 {
			continue
		}
		f := strings.Fields(string(stat[i+1:]))
		if len(f) < 13 {
			continue
		}
		u, _ := strconv.ParseInt(f[11], 10, 64)
		s, _ := strconv.ParseInt(f[12], 10, 64)
		ticks += u + s
	}
	return time.Duration(ticks) * (time.Second / 100) // USER_HZ is 100 on Linux
}

// Screenshot saves a full-page PNG of the current page as dir/name.png.
func Screenshot(ctx context.Context, dir, name string) error {
	buf, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, name+".png"), buf, 0o644)
}

// ViewportScreenshot saves a PNG of what the viewport shows as
// dir/name.png (for phone-sized pages, where a full-page capture may
// crop to a different width).
func ViewportScreenshot(ctx context.Context, dir, name string) error {
	buf, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, name+".png"), buf, 0o644)
}
