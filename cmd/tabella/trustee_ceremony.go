package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"golang.org/x/term"

	"github.com/tabella-vote/tabella/ballot/canon"
	"github.com/tabella-vote/tabella/bulletin"
	"github.com/tabella-vote/tabella/e2e/coord"
	"github.com/tabella-vote/tabella/e2e/record"
	"github.com/tabella-vote/tabella/tally/ceremony"
	"github.com/tabella-vote/tabella/tally/trustee"
)

const trusteeCeremonyUsage = `Usage: tabella trustee ceremony --server URL --election ID --key FILE [--passphrase-file FILE]

Takes part in the election's key ceremony (e2e/SPEC.md §9) over the
server's trustee websocket: commits to a random polynomial with proofs of
knowledge, sends every other trustee its share encrypted to it, checks the
shares it receives and complains about bad ones, answers complaints against
it. Every message is signed with the trustee's key and posted on the board.

Progress goes to stderr: the round, its deadline and which trustees the
round waits for. The command returns when the ceremony is over and prints
the outcome on stdout as JSON: the trustee's index, the qualified trustees,
the joint key and the trustee's verification key.

If the connection drops it reconnects and resumes; if the command is
stopped, running it again resumes from the board (the trustee's own
polynomial is kept on the board, encrypted to its key). Nothing but the key
file is needed.

Exit status: 0 the ceremony succeeded with this trustee qualified; 1 it
failed (fewer than t qualified trustees: no key), this trustee was
excluded, or an error; 2 usage.
`

const trusteeCeremonyExample = `tabella trustee ceremony --server https://vote.example --election city-2026 --key alice.key`

func init() {
	register(&command{
		name:    "trustee ceremony",
		summary: "take part in the key ceremony over the trustee websocket",
		usage:   trusteeCeremonyUsage,
		example: trusteeCeremonyExample,
		run:     runTrusteeCeremony,
	})
}

// trusteeFlags are the flags shared by the trustee network commands.
type trusteeFlags struct {
	server, election, key, passFile *string
}

func addTrusteeFlags(e *env, name string, withKey bool) (*flag.FlagSet, *trusteeFlags) {
	fs := newFlags(e, name)
	f := &trusteeFlags{server: fs.String("server", "", serverFlagDoc), election: fs.String("election", "", electionFlagDoc)}
	if withKey {
		f.key = fs.String("key", "", "the trustee key `FILE` ('tabella trustee init')")
		f.passFile = fs.String("passphrase-file", "", passFlagDoc)
	}
	return fs, f
}

func (f *trusteeFlags) check(fs *flag.FlagSet) error {
	if fs.NArg() > 0 {
		return fmt.Errorf("%w: unexpected argument %q", errUsage, fs.Arg(0))
	}
	if *f.server == "" || *f.election == "" {
		return fmt.Errorf("%w: --server and --election are required", errUsage)
	}
	if !bulletin.ValidElectionID(*f.election) {
		return fmt.Errorf("%w: malformed election id %q", errUsage, *f.election)
	}
	if f.key != nil && *f.key == "" {
		return fmt.Errorf("%w: --key is required", errUsage)
	}
	return nil
}

// openTrusteeKey reads and decrypts a trustee key file.
func openTrusteeKey(e *env, path, passFile string) (*trustee.Identity, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, hintIfMissing(fmt.Errorf("reading key file: %w", err), "tabella trustee init --out "+path, "to make a trustee key file")
	}
	var pass string
	if passFile != "" {
		if pass, err = readPassphraseFile(passFile); err != nil {
			return nil, err
		}
	} else {
		f, ok := e.stdin.(*os.File)
		if !ok || !term.IsTerminal(int(f.Fd())) {
			return nil, fmt.Errorf("%w: no terminal to read the passphrase from; use --passphrase-file", errUsage)
		}
		fmt.Fprintf(e.stderr, "passphrase for %s: ", path)
		p, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(e.stderr)
		if err != nil {
			return nil, fmt.Errorf("reading passphrase: %w", err)
		}
		pass = string(p)
	}
	return trustee.OpenKeyFile(data, pass)
}

// connectionReporter tells the user about lost and restored connections.
func connectionReporter(w io.Writer) func(error) {
	var mu sync.Mutex
	first := true
	return func(err error) {
		mu.Lock()
		defer mu.Unlock()
		switch {
		case err != nil:
			fmt.Fprintf(w, "connection lost (%v); reconnecting\n", err)
		case first:
			first = false
		default:
			fmt.Fprintln(w, "reconnected; resuming from the board")
		}
	}
}

// ceremonyOutcome is what `trustee ceremony` prints on stdout.
type ceremonyOutcome struct {
	Election        string   `json:"election"`
	Trustee         int      `json:"trustee"`
	Threshold       int      `json:"threshold"`
	Qualified       []int    `json:"qualified"`
	JointKey        string   `json:"joint_key"`
	VerificationKey string   `json:"verification_key"`
	Ceremony        string   `json:"ceremony"`
	Notes           []string `json:"notes"`
}

func runTrusteeCeremony(ctx context.Context, e *env, args []string) error {
	fs, f := addTrusteeFlags(e, "trustee ceremony", true)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if err := f.check(fs); err != nil {
		return err
	}
	id, err := openTrusteeKey(e, *f.key, *f.passFile)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stderr, "connecting to %s as trustee %q\n", *f.server, id.Name())
	c, err := coord.Dial(ctx, *f.server, *f.election, id, coord.ClientOptions{OnConnection: connectionReporter(e.stderr)})
	if err != nil {
		return err
	}
	defer c.Close()
	ks, st, err := trusteeCeremony(ctx, c, id, e.stderr)
	if err != nil {
		return err
	}
	out := ceremonyOutcome{Election: *f.election, Trustee: ks.Trustee, Threshold: st.Params.Threshold, Qualified: st.Qualified,
		JointKey: ks.JointKey.String(), VerificationKey: ks.Verification.String(), Ceremony: fmt.Sprintf("%x", st.Hash), Notes: []string{}}
	for _, n := range st.Notes {
		out.Notes = append(out.Notes, n.String())
	}
	// The board posts ceremony.result once it has replayed the ceremony.
	wctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err := c.WaitUntil(wctx, func(s *coord.Status) bool {
		return s != nil && s.Phase != coord.PhaseCeremony && s.Phase != coord.PhaseSetup && hasEntry(c, record.TypeCeremonyEnd)
	}); err == nil {
		fmt.Fprintln(e.stderr, "the board has posted ceremony.result")
	} else {
		fmt.Fprintln(e.stderr, "the board has not posted ceremony.result yet; check with 'tabella trustee status'")
	}
	b, err := canon.Marshal(&out)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "%s\n", b)
	return nil
}

func hasEntry(c *coord.Client, typ string) bool {
	for _, x := range c.Entries() {
		if x.Type == typ {
			return true
		}
	}
	return false
}

// trusteeCeremony waits for the ceremony parameters and runs the trustee's
// state machine over c, reporting progress on w.
func trusteeCeremony(ctx context.Context, c *coord.Client, id *trustee.Identity, w io.Writer) (*ceremony.KeyShare, *ceremony.State, error) {
	if s := c.Status(); s != nil && s.Phase == coord.PhaseSetup {
		fmt.Fprintln(w, "waiting for the official to post the ceremony parameters")
	}
	if err := c.WaitUntil(ctx, func(s *coord.Status) bool { return s != nil && s.Phase != coord.PhaseSetup }); err != nil {
		return nil, nil, err
	}
	var pe *bulletin.Entry
	for _, x := range c.Entries() {
		if x.Type == record.TypeCeremony {
			pe = x
			break
		}
	}
	if pe == nil {
		return nil, nil, errors.New("the server reports a ceremony but sent no ceremony.params entry")
	}
	p, err := ceremony.ParseParams(pe.Payload)
	if err != nil {
		return nil, nil, fmt.Errorf("ceremony.params at entry %d: %w", pe.Index, err)
	}
	t, err := ceremony.NewTrustee(id, p, time.UnixMilli(pe.Time))
	if errors.Is(err, ceremony.ErrNotTrustee) {
		return nil, nil, fmt.Errorf("this key is not one of the %d trustees of the ceremony", p.N())
	}
	if err != nil {
		return nil, nil, err
	}
	fmt.Fprintf(w, "trustee %d of %d, threshold %d, rounds of %v\n", t.Index(), p.N(), p.Threshold, p.Round())
	var last string
	var final *ceremony.State
	ks, err := t.Run(ctx, c, ceremony.SystemClock{}, 250*time.Millisecond, func(st *ceremony.State, err error) {
		if st == nil {
			return
		}
		final = st
		line := st.Describe()
		if err != nil && errors.Is(err, ceremony.ErrBoard) {
			line += " (board unreachable; retrying)"
		}
		if line != last {
			fmt.Fprintf(w, "%s  %s\n", time.Now().UTC().Format("15:04:05"), line)
			last = line
		}
	})
	if err != nil {
		if final != nil {
			for _, n := range final.Notes {
				fmt.Fprintf(w, "  %s\n", n)
			}
		}
		return nil, final, fmt.Errorf("ceremony: %w", err)
	}
	return ks, final, nil
}
