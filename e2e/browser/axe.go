package browser

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// AxeEnv names the environment variable holding the path of axe-core's
// axe.min.js. .ci/run installs axe-core from the npm registry (a pinned
// version, into a temporary folder) and sets it; the project does not
// carry axe-core's source.
const AxeEnv = "TABELLA_AXE"

// AxeSource returns axe-core's script. Without it the test is skipped,
// except in CI (CI=true), where it fails.
func AxeSource(t testing.TB) string {
	t.Helper()
	p := os.Getenv(AxeEnv)
	if p == "" {
		if os.Getenv("CI") == "true" {
			t.Fatalf("CI=true: %s is not set (npm install axe-core and point %s at axe.min.js)", AxeEnv, AxeEnv)
		}
		t.Skipf("%s is not set: no axe-core to check accessibility with", AxeEnv)
	}
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatalf("%s: %v", AxeEnv, err)
	}
	if !strings.Contains(string(b[:min(len(b), 200)]), "axe v") {
		t.Fatalf("%s=%s is not axe-core's axe.min.js", AxeEnv, p)
	}
	return string(b)
}

// AxeViolation is one rule axe-core found broken, with the elements
// that break it.
type AxeViolation struct {
	ID     string `json:"id"`
	Impact string `json:"impact"`
	Help   string `json:"help"`
	Nodes  []struct {
		Target  json.RawMessage `json:"target"`
		Summary string          `json:"summary"`
		HTML    string          `json:"html"`
	} `json:"nodes"`
}

// Serious reports whether axe-core rates the violation serious or
// critical.
func (v AxeViolation) Serious() bool { return v.Impact == "serious" || v.Impact == "critical" }

func (v AxeViolation) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s (%s): %s", v.ID, v.Impact, v.Help)
	for _, n := range v.Nodes {
		fmt.Fprintf(&b, "\n    %s %s\n      %s", n.Target, n.HTML, strings.ReplaceAll(n.Summary, "\n", "\n      "))
	}
	return b.String()
}

// AxeTags are the rule sets run: WCAG 2.0, 2.1 and 2.2 at levels A and
// AA, and axe's best practices.
var AxeTags = []string{"wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"}

// RunAxe runs axe-core (source from [AxeSource]) on the page shown in ctx
// and returns its violations. The script is evaluated through the
// DevTools protocol, which the pages' Content-Security-Policy does not
// govern, so the pages need no exception for it.
func RunAxe(ctx context.Context, src string) ([]AxeViolation, error) {
	loaded, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`typeof axe === "object"`))
	if err != nil {
		return nil, err
	}
	if !loaded {
		if _, err := chromedp.Run(ctx, chromedp.Evaluate[chromedp.Void](src+"\n;void 0")); err != nil {
			return nil, fmt.Errorf("loading axe-core: %w", err)
		}
	}
	tags, _ := json.Marshal(AxeTags)
	js := fmt.Sprintf(`axe.run(document, {runOnly: {type: "tag", values: %s}, resultTypes: ["violations"]}).then((r) => JSON.stringify(r.violations.map((v) => ({
		id: v.id, impact: v.impact, help: v.help,
		nodes: v.nodes.slice(0, 6).map((n) => ({target: n.target, summary: n.failureSummary || "", html: (n.html || "").slice(0, 240)})),
	}))))`, tags)
	out, err := chromedp.Run(ctx, chromedp.Evaluate[string](js, chromedp.EvalAwaitPromise))
	if err != nil {
		return nil, fmt.Errorf("running axe-core: %w", err)
	}
	var vs []AxeViolation
	if err := json.Unmarshal([]byte(out), &vs); err != nil {
		return nil, fmt.Errorf("axe-core's answer: %w", err)
	}
	return vs, nil
}
