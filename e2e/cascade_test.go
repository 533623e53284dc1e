package e2e

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tabella-vote/tabella/e2e/internal/cli"
	"github.com/tabella-vote/tabella/e2e/service"
	"github.com/tabella-vote/tabella/mixnet/count"
	"github.com/tabella-vote/tabella/tally"
)

// TestRankedCascade: a ranked election run with the built binary over
// real HTTP and websockets (e2e/SPEC.md §16): 3 trustees make the key,
// voters rank with the load tester, and each trustee's `tabella trustee
// decrypt` takes its turn in the 3-mixer cascade, posts its tally share
// and, once the cascade is over, its decryption shares of the mixed list;
// the board counts the ranked contest. The exported record verifies with
// "mix N of 3: shuffle proof verified" for every mix, and a trustee that
// runs `tabella trustee mix` again posts nothing.
func TestRankedCascade(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: builds tabella and runs a whole election")
	}
	se := cli.NewSession(t, 6*time.Minute)
	ctx, bin, pass, path, run := se.Ctx, se.Bin, se.Pass, se.Path, se.Run
	srv, official := se.ServeElection()
	key := func(i int) string { return path(fmt.Sprintf("t%d.key", i)) }
	var pubs []string
	for i := 1; i <= 3; i++ {
		out := run("trustee", "init", "--name", fmt.Sprintf("Trustee %d", i), "--out", key(i), "--passphrase-file", pass)
		pubs = append(pubs, path(fmt.Sprintf("t%d.pub.json", i)))
		require.NoError(t, os.WriteFile(pubs[i-1], []byte(out), 0o644))
	}
	const id = "ranked-e2e"
	now := time.Now().UTC()
	manifest := fmt.Sprintf(`{"version":"tabella/v1","election_id":%q,"title":"Ranked election","schedule":{"opens":%q,"closes":%q},"contests":[`+
		`{"id":"q","title":"Q","kind":"one_of_n","options":[{"id":"yes","title":"Yes"},{"id":"no","title":"No"}],"min_selections":1,"max_selections":1},`+
		`{"id":"budget","title":"Budget","kind":"ranked","options":[{"id":"roads","title":"Roads"},{"id":"parks","title":"Parks"},{"id":"schools","title":"Schools"}],"min_selections":1,"max_selections":3,"method":"irv"}]}`,
		id, now.Add(-time.Hour).Format("2006-01-02T15:04:05Z"), now.Add(24*time.Hour).Format("2006-01-02T15:04:05Z"))
	require.NoError(t, os.WriteFile(path("manifest.json"), []byte(manifest), 0o644))
	run(append([]string{"election", "create", "--manifest", path("manifest.json"), "--trustees", strings.Join(pubs, ","),
		"--threshold", "2", "--round-seconds", "60"}, official...)...)
	const voters = 12
	run(append([]string{"election", "roll", "--election", id, "--voters", fmt.Sprint(voters), "--out", path("credentials")}, official...)...)

	start := func(args ...string) (*exec.Cmd, *bytes.Buffer) {
		c := exec.CommandContext(ctx, bin, args...)
		out := &bytes.Buffer{}
		c.Stdout, c.Stderr = out, out
		require.NoError(t, c.Start())
		return c, out
	}
	var procs [4]*exec.Cmd
	var outs [4]*bytes.Buffer
	for i := 1; i <= 3; i++ {
		procs[i], outs[i] = start("trustee", "ceremony", "--server", srv.URL, "--election", id, "--key", key(i), "--passphrase-file", pass)
	}
	for i := 1; i <= 3; i++ {
		require.NoError(t, procs[i].Wait(), "trustee %d's ceremony:\n%s", i, outs[i])
	}
	c := service.NewClient(srv.URL)
	require.Eventually(t, func() bool {
		in, err := c.Info(ctx, id)
		return err == nil && in.JointKey != ""
	}, time.Minute, 100*time.Millisecond, "no joint key after the ceremony")
	run(append([]string{"election", "open", "--election", id}, official...)...)
	run("loadtest", "--server", srv.URL, "--election", id, "--credentials", path("credentials"), "--concurrency", "4",
		"--duration", "2m", "--receipts", path("receipts.jsonl"))
	in, err := c.Info(ctx, id)
	require.NoError(t, err)
	require.Equal(t, voters, int(in.Ballots))
	run(append([]string{"election", "close", "--election", id}, official...)...)

	// Every trustee at once: the cascade orders them.
	decrypted := 0
	for i := 1; i <= 3; i++ {
		procs[i], outs[i] = start("trustee", "decrypt", "--server", srv.URL, "--election", id, "--key", key(i), "--passphrase-file", pass, "--mix-wait", "4m")
	}
	for i := 1; i <= 3; i++ {
		err := procs[i].Wait()
		o := outs[i].String()
		require.NoError(t, err, "trustee %d's decryption:\n%s", i, o)
		require.Contains(t, o, "contest budget: mix posted at entry", "trustee %d", i)
		require.True(t, strings.Contains(o, "contest budget: decryption shares of the final list") ||
			strings.Contains(o, "contest budget: its mix.result is on the board already") ||
			strings.Contains(o, "contest budget: its mix.result was posted meanwhile"), "trustee %d:\n%s", i, o)
		decrypted += strings.Count(o, "contest budget: decryption shares of the final list")
		if strings.Contains(o, `"not_needed":true`) {
			// Its tally.share came after the result (t others were
			// faster): said plainly, nothing posted, exit status 0.
			require.Contains(t, o, "this trustee's decryption share was not needed", "trustee %d", i)
		}
	}
	require.GreaterOrEqual(t, decrypted, 2, "at least t trustees decrypted the mixed list")
	// A second mix run finds its mix on the board and posts nothing.
	before, err := c.Info(ctx, id)
	require.NoError(t, err)
	out := run("trustee", "mix", "--server", srv.URL, "--election", id, "--key", key(2), "--passphrase-file", pass, "--wait", "30s")
	require.Contains(t, out, `"state":"mixed"`)

	// The board posts both results; the record verifies.
	var rec []byte
	require.Eventually(t, func() bool {
		r := cli.Run(ctx, bin, "export", "--server", srv.URL, "--election", id, "--out", path("record.jsonl"))
		if r.Code != 0 {
			return false
		}
		rec, err = os.ReadFile(path("record.jsonl"))
		return err == nil && bytes.Contains(rec, []byte(`"type":"mix.result"`)) && bytes.Contains(rec, []byte(`"type":"tally.result"`))
	}, 2*time.Minute, time.Second, "no mix.result and tally.result on the board")
	after, err := c.Info(ctx, id)
	require.NoError(t, err)
	require.GreaterOrEqual(t, after.Size, before.Size)
	// The second mix run posted no mix: exactly one per trustee.
	require.Equal(t, 3, bytes.Count(rec, []byte(`"type":"mix.shuffle"`)), "mix.shuffle entries in the record")
	// election tally --json: the homomorphic result and the ranked
	// contest's count with its rounds, as on the board.
	var tallied struct {
		Result json.RawMessage `json:"result"`
		Ranked []struct {
			Contest  string          `json:"contest"`
			Rankings int             `json:"rankings"`
			Mixers   []int           `json:"mixers"`
			Winners  []string        `json:"winners"`
			Count    json.RawMessage `json:"count"`
		} `json:"ranked"`
	}
	require.NoError(t, json.Unmarshal([]byte(run(append([]string{"election", "tally", "--json", "--wait", "1m"}, "--server", srv.URL, "--election", id)...)), &tallied))
	res, err := tally.DecodeResult(tallied.Result)
	require.NoError(t, err)
	require.Equal(t, uint64(voters), res.Turnout)
	require.Len(t, tallied.Ranked, 1)
	rk := tallied.Ranked[0]
	require.Equal(t, "budget", rk.Contest)
	require.Equal(t, voters, rk.Rankings)
	require.Equal(t, []int{1, 2, 3}, rk.Mixers)
	cr, err := count.Decode(rk.Count)
	require.NoError(t, err)
	require.NotEmpty(t, cr.Rounds, "the IRV rounds")
	require.Len(t, rk.Winners, 1)
	require.Contains(t, []string{"roads", "parks", "schools"}, rk.Winners[0])
	report := run("verify", "--no-progress", path("record.jsonl"))
	t.Logf("tabella verify:\n%s", report)
	require.Contains(t, report, "VALID")
	for n := 1; n <= 3; n++ {
		require.Contains(t, report, fmt.Sprintf("mix %d of 3: shuffle proof verified", n))
	}
	require.Contains(t, report, "12  mixed rankings decrypted and compared")
}
