package main

import (
	"context"
	"crypto/ed25519"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/tabella-vote/tabella/ballot"
	"github.com/tabella-vote/tabella/ballot/group"
	"github.com/tabella-vote/tabella/bulletin"
	"github.com/tabella-vote/tabella/e2e/record"
	"github.com/tabella-vote/tabella/e2e/service"
	"github.com/tabella-vote/tabella/tally"
	"github.com/tabella-vote/tabella/tally/ceremony"
	"github.com/tabella-vote/tabella/tally/trustee"
)

// The officials' commands: `tabella election create|roll|open|close|status|tally`.
// Every action is an entry on the board signed with the official's key.

func init() {
	register(&command{name: "election create", summary: "set up an election: setup, manifest, key ceremony parameters", usage: electionCreateUsage, example: electionCreateExample, run: runElectionCreate})
	register(&command{name: "election roll", summary: "generate voter credentials and post the roll", usage: electionRollUsage, example: electionRollExample, run: runElectionRoll})
	register(&command{name: "election open", summary: "open an election for voting", usage: phaseUsage("open"), example: phaseExample("open"), run: func(ctx context.Context, e *env, args []string) error {
		return runElectionPhase(ctx, e, args, "open", record.TypeOpen)
	}})
	register(&command{name: "election close", summary: "close an election", usage: phaseUsage("close"), example: phaseExample("close"), run: func(ctx context.Context, e *env, args []string) error {
		return runElectionPhase(ctx, e, args, "close", record.TypeClose)
	}})
	register(&command{name: "election status", summary: "show an election's phase, roll, ballots and result", usage: electionStatusUsage, example: electionStatusExample, run: runElectionStatus})
	register(&command{name: "election tally", summary: "wait for an election's result and print it", usage: electionTallyUsage, example: electionTallyExample, run: runElectionTally})
}

const electionCreateUsage = `Usage: tabella election create --server URL --key FILE --manifest FILE --trustees FILE[,FILE…] --threshold T [flags]

Sets up an election on the server: posts the setup (board, officials,
trustees, threshold), the manifest and the key ceremony's parameters, each
signed with the official's key. The trustees then run
'tabella trustee ceremony'; the server posts the joint key when the
ceremony succeeds. The manifest may be any JSON form of the manifest
(e2e/SPEC.md §6); its canonical form is what goes on the board.
`

const electionCreateExample = `tabella election create --server http://127.0.0.1:8080 --key official.key \
    --manifest manifest.json --trustees a.pub.json,b.pub.json,c.pub.json --threshold 2`

func runElectionCreate(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "election create")
	server := fs.String("server", "", serverFlagDoc)
	keyFile := fs.String("key", "", officialKeyDoc)
	passFile := fs.String("passphrase-file", "", passFlagDoc)
	manifestFile := fs.String("manifest", "", "the election manifest `FILE` (JSON)")
	trusteeFiles := fs.String("trustees", "", "the trustees' public records ('tabella trustee init' output), `FILE[,FILE…]` in order")
	threshold := fs.Int("threshold", 0, "the number of trustees `T` needed to decrypt")
	round := fs.Int("round-seconds", 600, "deadline `S` of each ceremony round, in seconds")
	var co multiFlag
	fs.Var(&co, "co-official", "another official's public `KEY` (hex) allowed to act (repeatable)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if err := requireFlags("server", *server, "key", *keyFile, "manifest", *manifestFile, "trustees", *trusteeFiles); err != nil {
		return err
	}
	if *threshold < 1 || *round < 1 {
		return fmt.Errorf("%w: --threshold and --round-seconds must be positive", errUsage)
	}
	m, manifest, err := readManifest(*manifestFile)
	if err != nil {
		return err
	}
	var pubs []trustee.Public
	for _, f := range strings.Split(*trusteeFiles, ",") {
		b, err := os.ReadFile(strings.TrimSpace(f))
		if err != nil {
			return err
		}
		p, err := trustee.ParsePublic([]byte(strings.TrimSpace(string(b))))
		if err != nil {
			return fmt.Errorf("%s: %w", f, err)
		}
		pubs = append(pubs, *p)
	}
	off, err := loadOfficial(e, *keyFile, *passFile)
	if err != nil {
		return err
	}
	officials := []ed25519.PublicKey{off.Public()}
	for _, k := range co {
		pk, err := parseOfficialKey(k)
		if err != nil {
			return fmt.Errorf("%w: --co-official: %v", errUsage, err)
		}
		officials = append(officials, pk)
	}
	return createElection(ctx, e, service.NewClient(*server), off, officials, m, manifest, pubs, *threshold, time.Duration(*round)*time.Second)
}

// createElection posts setup, manifest and ceremony parameters.
func createElection(ctx context.Context, e *env, c *service.Client, off service.Official, officials []ed25519.PublicKey, m *ballot.Manifest, manifest []byte, pubs []trustee.Public, t int, round time.Duration) error {
	id := m.ElectionID
	bd, err := c.Board(ctx)
	if err != nil {
		return err
	}
	setup, err := service.NewSetup(id, bd.Name, bd.Key, officials, pubs, t)
	if err != nil {
		return err
	}
	mh, err := m.Hash()
	if err != nil {
		return err
	}
	params, err := ceremony.NewParams(id, mh, t, round, pubs)
	if err != nil {
		return err
	}
	for _, p := range []struct {
		typ     string
		payload []byte
	}{{record.TypeSetup, setup}, {record.TypeManifest, manifest}, {record.TypeCeremony, params.Marshal()}} {
		r, err := c.Submit(ctx, id, off.Sign(id, p.typ, p.payload))
		if err != nil {
			return fmt.Errorf("posting %s: %w", p.typ, err)
		}
		fmt.Fprintf(e.stderr, "posted %s at entry %d\n", p.typ, r.Receipt.Index)
	}
	fmt.Fprintf(e.stderr, "election %s created on board %s; the %d trustees can now run the key ceremony (%d-of-%d)\n", id, bd.Name, len(pubs), t, len(pubs))
	fmt.Fprintln(e.stdout, id)
	return nil
}

// readManifest reads a manifest in any JSON form and returns it with its
// canonical encoding.
func readManifest(path string) (*ballot.Manifest, []byte, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, err
	}
	var m ballot.Manifest
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, nil, fmt.Errorf("%s: %w", path, err)
	}
	enc, err := m.Encode()
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", path, err)
	}
	dm, err := ballot.DecodeManifest(enc)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", path, err)
	}
	return dm, enc, nil
}

const electionRollUsage = `Usage: tabella election roll --server URL --key FILE --election ID (--voters N | --names FILE) --out DIR

Generates a secret credential for each voter, writes them to DIR (one file
per voter, voter-NNNNNN.txt, and credentials.csv for a mail merge), then
posts the voters' public credentials as the roll (roll.voters chunks) and
seals it (roll.seal: the count and the hash of the whole roll). The server
never sees a secret credential. DIR must not exist: keep it safe, print or
mail the credentials, then destroy it.
`

const electionRollExample = `tabella election roll --server http://127.0.0.1:8080 --key official.key \
    --election demo-2026 --voters 1000 --out credentials/`

func runElectionRoll(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "election roll")
	server := fs.String("server", "", serverFlagDoc)
	keyFile := fs.String("key", "", officialKeyDoc)
	passFile := fs.String("passphrase-file", "", passFlagDoc)
	id := fs.String("election", "", electionFlagDoc)
	voters := fs.Int("voters", 0, "number of voters `N` (voters are numbered 1..N)")
	namesFile := fs.String("names", "", "`FILE` with one voter name or reference per line, instead of --voters")
	out := fs.String("out", "", "the directory `DIR` to create for the credentials")
	noSeal := fs.Bool("no-seal", false, "post the roll without sealing it (more chunks may follow)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if err := requireFlags("server", *server, "key", *keyFile, "election", *id, "out", *out); err != nil {
		return err
	}
	var names []string
	switch {
	case *namesFile != "" && *voters == 0:
		b, err := os.ReadFile(*namesFile)
		if err != nil {
			return err
		}
		for _, l := range strings.Split(string(b), "\n") {
			if l = strings.TrimSpace(l); l != "" {
				names = append(names, l)
			}
		}
	case *namesFile == "" && *voters > 0:
		for i := 1; i <= *voters; i++ {
			names = append(names, strconv.Itoa(i))
		}
	default:
		return fmt.Errorf("%w: give either --voters N or --names FILE", errUsage)
	}
	if len(names) == 0 {
		return fmt.Errorf("%w: no voters", errUsage)
	}
	off, err := loadOfficial(e, *keyFile, *passFile)
	if err != nil {
		return err
	}
	creds := make([]*ballot.Credential, len(names))
	for i := range creds {
		creds[i] = ballot.NewCredential()
	}
	if err := writeCredentials(*out, *server, *id, names, creds); err != nil {
		return err
	}
	fmt.Fprintf(e.stderr, "wrote %d credentials to %s\n", len(creds), *out)
	return postRoll(ctx, e, service.NewClient(*server), off, *id, creds, !*noSeal)
}

// writeCredentials writes one file per voter and a CSV for a mail merge
// into a new directory, mode 0700/0600.
func writeCredentials(dir, server, id string, names []string, creds []*ballot.Credential) error {
	if err := os.Mkdir(dir, 0o700); err != nil {
		return fmt.Errorf("creating %s (it must not exist): %w", dir, err)
	}
	f, err := os.OpenFile(filepath.Join(dir, "credentials.csv"), os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	w := csv.NewWriter(f)
	_ = w.Write([]string{"voter", "election", "server", "credential", "file"})
	// One file per voter, each synced before this returns; written by a
	// few goroutines at once, so that the file system commits their syncs
	// together (10^4 one after the other took seconds).
	fileName := func(i int) string { return fmt.Sprintf("voter-%06d.txt", i+1) }
	errs := make([]error, len(creds))
	next := make(chan int)
	var wg sync.WaitGroup
	for range min(16, len(creds)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				errs[i] = writeNewFile(filepath.Join(dir, fileName(i)), []byte(credentialText(server, id, names[i], creds[i])), 0o600)
			}
		}()
	}
	for i := range creds {
		next <- i
	}
	close(next)
	wg.Wait()
	for _, err := range errs {
		if err != nil { // the first one: the others are likely the same
			f.Close()
			return err
		}
	}
	for i, c := range creds {
		_ = w.Write([]string{names[i], id, server, c.Secret(), fileName(i)})
	}
	w.Flush()
	if err := w.Error(); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// credentialText is a voter's credential file.
func credentialText(server, id, name string, c *ballot.Credential) string {
	return fmt.Sprintf("# Tabella voting credential. Keep it secret: anyone holding it can vote in your name.\n"+
		"voter: %s\nelection: %s\nserver: %s\ncredential: %s\n", name, id, server, c.Secret())
}

// readCredential reads a credential file (or a file holding just the
// secret) and returns the credential and the election it names, if any.
func readCredential(path string) (*ballot.Credential, string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, "", err
	}
	c, election, err := parseCredentialFile(b)
	if err != nil {
		return nil, "", fmt.Errorf("%s: %w", path, err)
	}
	return c, election, nil
}

// parseCredentialFile parses the text of a credential file.
func parseCredentialFile(b []byte) (*ballot.Credential, string, error) {
	if len(b) > 4096 {
		return nil, "", errors.New("not a credential file (over 4096 bytes)")
	}
	var secret, election string
	for _, l := range strings.Split(string(b), "\n") {
		l = strings.TrimSpace(l)
		switch {
		case strings.HasPrefix(l, "#"), l == "":
		case strings.HasPrefix(l, "credential:"):
			secret = strings.TrimSpace(strings.TrimPrefix(l, "credential:"))
		case strings.HasPrefix(l, "election:"):
			election = strings.TrimSpace(strings.TrimPrefix(l, "election:"))
		case !strings.Contains(l, ":"):
			secret = l
		}
	}
	c, err := ballot.ParseCredential(secret)
	if err != nil {
		return nil, "", err
	}
	return c, election, nil
}

// postRoll posts the roll in chunks and, if seal, the seal.
func postRoll(ctx context.Context, e *env, c *service.Client, off service.Official, id string, creds []*ballot.Credential, seal bool) error {
	pts := make([]*group.Point, len(creds))
	for i, cr := range creds {
		pts[i] = cr.Public()
	}
	chunks, sealPayload, err := service.RollPayloads(id, pts)
	if err != nil {
		return err
	}
	in, err := c.Info(ctx, id)
	if err != nil {
		return err
	}
	if in.Roll.Count != 0 {
		// Number the new chunks after those already posted.
		if !seal {
			return errors.New("adding to an existing roll is not supported by this command; post the whole roll at once")
		}
		return fmt.Errorf("election %s already has %d voters on its roll", id, in.Roll.Count)
	}
	for k, ch := range chunks {
		if _, err := c.Submit(ctx, id, off.Sign(id, record.TypeRollVoters, ch)); err != nil {
			return fmt.Errorf("posting roll chunk %d: %w", k, err)
		}
	}
	fmt.Fprintf(e.stderr, "posted %d credentials in %d chunk(s)\n", len(creds), len(chunks))
	if !seal {
		return nil
	}
	r, err := c.Submit(ctx, id, off.Sign(id, record.TypeRollSeal, sealPayload))
	if err != nil {
		return fmt.Errorf("posting roll.seal: %w", err)
	}
	var rs record.RollSeal
	_ = json.Unmarshal(sealPayload, &rs)
	fmt.Fprintf(e.stderr, "sealed the roll at entry %d\n", r.Receipt.Index)
	fmt.Fprintf(e.stdout, "roll %d %x\n", rs.Count, rs.Hash[:])
	return nil
}

func phaseUsage(verb string) string {
	return fmt.Sprintf(`Usage: tabella election %[1]s --server URL --key FILE --election ID [--passphrase-file FILE]

Posts election.%[1]s, signed with the official's key. The board's time of
that entry is the moment of %[1]sing; ballots are accepted only between
election.open and election.close and within the manifest's schedule.
`, verb)
}

func phaseExample(verb string) string {
	return "tabella election " + verb + " --server http://127.0.0.1:8080 --key official.key --election demo-2026"
}

func runElectionPhase(ctx context.Context, e *env, args []string, verb, typ string) error {
	fs := newFlags(e, "election "+verb)
	server := fs.String("server", "", serverFlagDoc)
	keyFile := fs.String("key", "", officialKeyDoc)
	passFile := fs.String("passphrase-file", "", passFlagDoc)
	id := fs.String("election", "", electionFlagDoc)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if err := requireFlags("server", *server, "key", *keyFile, "election", *id); err != nil {
		return err
	}
	off, err := loadOfficial(e, *keyFile, *passFile)
	if err != nil {
		return err
	}
	r, err := service.NewClient(*server).Submit(ctx, *id, off.Sign(*id, typ, service.PhasePayload(*id)))
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stderr, "posted %s at entry %d\n", typ, r.Receipt.Index)
	return nil
}

const electionStatusUsage = `Usage: tabella election status --server URL --election ID [--json]

Prints the election's phase, roll (size and hash), ballots, counted voters
and, once posted, the result. With --json prints the server's summary.
`

const electionStatusExample = `tabella election status --server http://127.0.0.1:8080 --election demo-2026`

func runElectionStatus(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "election status")
	server := fs.String("server", "", serverFlagDoc)
	id := fs.String("election", "", electionFlagDoc)
	asJSON := fs.Bool("json", false, "print JSON instead of text")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if err := requireFlags("server", *server, "election", *id); err != nil {
		return err
	}
	in, err := service.NewClient(*server).Info(ctx, *id)
	if err != nil {
		return err
	}
	if *asJSON {
		b, _ := json.MarshalIndent(in, "", "  ")
		fmt.Fprintf(e.stdout, "%s\n", b)
		return nil
	}
	return printStatus(e, in)
}

func printStatus(e *env, in *service.Info) error {
	w := e.stdout
	fmt.Fprintf(w, "election   %s\nphase      %s\nboard      %s (%d entries)\n", in.ElectionID, in.Phase, in.BoardName, in.Size)
	seal := "not sealed"
	if in.Roll.Sealed {
		seal = "sealed, hash " + in.Roll.Hash
	}
	fmt.Fprintf(w, "roll       %d voters, %s\n", in.Roll.Count, seal)
	fmt.Fprintf(w, "trustees   %d-of-%d\n", in.Threshold, in.Trustees)
	if in.JointKey != "" {
		fmt.Fprintf(w, "joint key  %s\n", in.JointKey)
	}
	fmt.Fprintf(w, "ballots    %d cast, %d voters counted\n", in.Ballots, in.Counted)
	if len(in.Result) > 0 && string(in.Result) != "null" {
		r, err := tally.DecodeResult(in.Result)
		if err != nil {
			return fmt.Errorf("the posted result: %w", err)
		}
		fmt.Fprintln(w)
		return r.WriteTable(w)
	}
	return nil
}

const electionTallyUsage = `Usage: tabella election tally --server URL --election ID [--wait DURATION] [--json]

Waits (default up to 10m) until the trustees' decryption shares are in and
the server has posted the result (tally.result), then prints the result
table with the turnout (ballots counted of the voters on the roll) and the
number of checked (spoiled) ballots, which are never counted. With ranked
contests it then waits for each one's mix.result and prints its count
round by round.

With --json it prints one JSON object: "result" is the tally.result as
posted (the homomorphic contests), "ranked" lists each ranked contest in
manifest order with who mixed it ("mixers", "skipped"), who decrypted it
("trustees"), the number of rankings, the winners' option ids and "count",
the count as posted in its mix.result with its rounds (e2e/SPEC.md §15.7;
the decrypted rankings themselves stay on the board). The election must be
closed; each trustee runs 'tabella trustee decrypt'.
`

const electionTallyExample = `tabella election tally --server http://127.0.0.1:8080 --election demo-2026`

func runElectionTally(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "election tally")
	server := fs.String("server", "", serverFlagDoc)
	id := fs.String("election", "", electionFlagDoc)
	wait := fs.Duration("wait", 10*time.Minute, "how long to wait for the result")
	asJSON := fs.Bool("json", false, "print JSON instead of text")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if err := requireFlags("server", *server, "election", *id); err != nil {
		return err
	}
	c := service.NewClient(*server)
	r, raw, err := waitResult(ctx, e, c, *id, *wait)
	if err != nil {
		return err
	}
	in, err := c.Info(ctx, *id)
	if err != nil {
		return err
	}
	bc, err := bulletin.NewClient(*server, *id, &http.Client{Timeout: time.Minute})
	if err != nil {
		return err
	}
	m, err := ballot.DecodeManifest(in.Manifest)
	if err != nil {
		return fmt.Errorf("the election's manifest: %w", err)
	}
	if *asJSON {
		mr, err := waitMixResults(ctx, e, bc, m, *wait)
		if err != nil {
			return err
		}
		b, err := tallyJSON(raw, m, mr)
		if err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "%s\n", b)
		return nil
	}
	spoiled, err := countSpoiled(ctx, bc, in.Size)
	if err != nil {
		return fmt.Errorf("counting the checked ballots on the board: %w", err)
	}
	var table strings.Builder
	if err := r.WriteTable(&table); err != nil {
		return err
	}
	if _, err = io.WriteString(e.stdout, withTurnout(table.String(), r.Turnout, in.Roll.Count, spoiled)); err != nil {
		return err
	}
	// Ranked contests: their counts, round by round (election_ranked.go).
	mr, err := waitMixResults(ctx, e, bc, m, *wait)
	if err != nil {
		return err
	}
	return writeRankedRounds(e.stdout, m, mr)
}

// countSpoiled counts the ballot.spoiled entries (e2e/SPEC.md §7.9)
// among the first size entries of the board.
func countSpoiled(ctx context.Context, bc *bulletin.Client, size uint64) (uint64, error) {
	var n uint64
	for start := uint64(0); start < size; {
		page, err := bc.Entries(ctx, start, min(start+bulletin.MaxPage, size))
		if err != nil {
			return 0, err
		}
		if len(page) == 0 {
			return 0, fmt.Errorf("the board returned no entries from %d of %d", start, size)
		}
		for _, x := range page {
			if x.Type == record.TypeSpoiled {
				n++
			}
		}
		start += uint64(len(page))
	}
	return n, nil
}

// withTurnout puts under the result table's "Turnout" line (ballots
// counted) the roll's size with the turnout as a share of it, and the
// checked (spoiled) ballots, which are published and never counted.
func withTurnout(table string, counted, roll, spoiled uint64) string {
	share := "no voters on the roll"
	if roll > 0 {
		share = "turnout " + strconv.FormatFloat(100*float64(counted)/float64(roll), 'f', 1, 64) + "%"
	}
	lines := fmt.Sprintf("Roll     %d %s, %d counted: %s\nSpoiled  %d checked %s (Benaloh challenge), never counted\n",
		roll, plural(roll, "voter", "voters"), counted, share, spoiled, plural(spoiled, "ballot", "ballots"))
	if i := strings.Index(table, "\nTurnout "); i >= 0 {
		if j := strings.IndexByte(table[i+1:], '\n'); j >= 0 {
			at := i + 1 + j + 1
			return table[:at] + lines + table[at:]
		}
	}
	return table + "\n" + lines
}

func plural(n uint64, one, other string) string {
	if n == 1 {
		return one
	}
	return other
}

// waitResult polls the election's summary until its result is posted.
func waitResult(ctx context.Context, e *env, c *service.Client, id string, wait time.Duration) (*tally.Result, []byte, error) {
	ctx, cancel := context.WithTimeout(ctx, wait)
	defer cancel()
	said := ""
	for {
		in, err := c.Info(ctx, id)
		if err != nil {
			return nil, nil, err
		}
		if len(in.Result) > 0 && string(in.Result) != "null" {
			r, err := tally.DecodeResult(in.Result)
			return r, in.Result, err
		}
		if in.Phase != service.PhaseClosed && in.Phase != service.PhaseTallied {
			return nil, nil, fmt.Errorf("election %s is %s: close it first", id, in.Phase)
		}
		if said == "" {
			said = "waiting"
			fmt.Fprintf(e.stderr, "waiting for the trustees' decryption shares (%d needed)…\n", in.Threshold)
		}
		select {
		case <-ctx.Done():
			return nil, nil, fmt.Errorf("no result after %s: %w", wait, ctx.Err())
		case <-time.After(500 * time.Millisecond):
		}
	}
}
