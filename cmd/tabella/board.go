package main

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/tabella-vote/tabella/ballot/canon"
	"github.com/tabella-vote/tabella/bulletin"
	"github.com/tabella-vote/tabella/bulletin/board"
	"github.com/tabella-vote/tabella/bulletin/follow"
	"golang.org/x/mod/sumdb/note"
)

// The `tabella board …` commands: keys, a read-only board server, and the
// follower and witness of e2e/SPEC.md §8.8.

func init() {
	register(&command{
		name:    "board keygen",
		summary: "create a board or witness Ed25519 note key",
		usage: `Usage: tabella board keygen --name NAME --out FILE

Writes a new Ed25519 note signing key named NAME to FILE (mode 0600) and
prints its public keys on stdout: the note verifier key (for a board) and
the cosignature verifier key (for a witness).`,
		example: `tabella board keygen --name vote.example.org --out board.key`,
		run:     runBoardKeygen,
	})
	register(&command{
		name:    "board serve",
		summary: "serve a board's public read API over HTTP",
		usage: `Usage: tabella board serve --store DSN --key FILE [--addr ADDR] [--witness VKEY]...

Opens the board store (re-checking every log), then serves the read API
of e2e/SPEC.md §8.7 and the websocket feed on ADDR (default 127.0.0.1:8080).
DSN is sqlite:PATH or a postgres:// URL. With --witness, witnesses holding
those cosignature keys may POST cosignatures. Appends come from the election
service; this command only serves.`,
		example: `tabella board serve --store sqlite:board.db --key board.key --addr :8080`,
		run:     runBoardServe,
	})
	register(&command{
		name:    "board follow",
		summary: "mirror and verify a board, stopping with evidence on a fork",
		usage: `Usage: tabella board follow --server URL --election ID --board-key VKEY [--state DIR] [--once] [--witness-key VKEY]...

Mirrors the election's board into DIR (default ./board-<ID>), verifying
every entry, the chain, each checkpoint's signature and its consistency with
the last one seen. On a fork it prints the evidence (both signed checkpoints
and the proof) as JSON on stdout, writes DIR/evidence.json and exits 1.
VKEY is the board's note verifier key, or @FILE to read it from a file.
With --once it syncs to the latest checkpoint and exits.`,
		example: `tabella board follow --server https://vote.example.org --election e2026 \
    --board-key @board.pub --once`,
		run: func(ctx context.Context, e *env, args []string) error { return runFollow(ctx, e, args, false) },
	})
	register(&command{
		name:    "board witness",
		summary: "follow a board and cosign the checkpoints it verifies",
		usage: `Usage: tabella board witness --server URL --election ID --board-key VKEY --key FILE [--state DIR] [--once]

Like 'board follow', and after verifying each checkpoint it cosigns it
(C2SP tlog-cosignature) with the note key in FILE and posts the
cosignature to the board. The board must list the witness's cosignature
key (printed by 'board keygen').`,
		example: `tabella board witness --server https://vote.example.org --election e2026 \
    --board-key @board.pub --key witness.key`,
		run: func(ctx context.Context, e *env, args []string) error { return runFollow(ctx, e, args, true) },
	})
}

type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, ",") }
func (m *multiFlag) Set(s string) error { *m = append(*m, s); return nil }

// readKeyArg returns s, or the trimmed contents of FILE for "@FILE".
func readKeyArg(s string) (string, error) {
	if f, ok := strings.CutPrefix(s, "@"); ok {
		b, err := os.ReadFile(f)
		if err != nil {
			return "", err
		}
		return strings.TrimSpace(string(b)), nil
	}
	return s, nil
}

func runBoardKeygen(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "board keygen")
	name := fs.String("name", "", "the key `NAME` (the board name or the witness name)")
	out := fs.String("out", "", "the `FILE` to write the private key to (must not exist)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if !bulletin.ValidBoardName(*name) || *out == "" || fs.NArg() != 0 {
		return fmt.Errorf("%w: need --name (no spaces or '+') and --out", errUsage)
	}
	skey, vkey, err := note.GenerateKey(rand.Reader, *name)
	if err != nil {
		return err
	}
	cvkey, err := bulletin.CosignerVerifierKey(skey)
	if err != nil {
		return err
	}
	f, err := os.OpenFile(*out, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	if _, err := f.WriteString(skey + "\n"); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "board-key %s\nwitness-key %s\n", vkey, cvkey)
	return nil
}

func loadSigner(path string) (note.Signer, note.Verifier, string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, "", hintIfMissing(err, "tabella board keygen --name NAME --out "+path, "to make a note key")
	}
	skey := strings.TrimSpace(string(b))
	s, err := note.NewSigner(skey)
	if err != nil {
		return nil, nil, "", fmt.Errorf("key file %s: not a note signer key", path)
	}
	// Derive the verifier key from the signer key.
	vkey, err := noteVerifierKey(skey)
	if err != nil {
		return nil, nil, "", err
	}
	v, err := note.NewVerifier(vkey)
	if err != nil {
		return nil, nil, "", err
	}
	return s, v, skey, nil
}

func runBoardServe(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "board serve")
	dsn := fs.String("store", "", "the board store `DSN`: sqlite:PATH or a postgres:// URL")
	keyFile := fs.String("key", "", "the board's note signing key `FILE` ('tabella board keygen')")
	addr := fs.String("addr", "127.0.0.1:8080", "the listen address `ADDR`")
	var witnesses multiFlag
	fs.Var(&witnesses, "witness", "accept cosignatures from the witness with this cosignature `VKEY` (repeatable)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *dsn == "" || *keyFile == "" || fs.NArg() != 0 {
		return fmt.Errorf("%w: need --store and --key", errUsage)
	}
	s, v, _, err := loadSigner(*keyFile)
	if err != nil {
		return err
	}
	var wv []note.Verifier
	for _, w := range witnesses {
		k, err := readKeyArg(w)
		if err != nil {
			return err
		}
		x, err := bulletin.NewCosignatureVerifier(k)
		if err != nil {
			return fmt.Errorf("%w: --witness %q: %v", errUsage, w, err)
		}
		wv = append(wv, x)
	}
	logger := slog.New(slog.NewTextHandler(e.stderr, nil))
	b, err := board.Open(ctx, *dsn, board.Options{Signer: s, Verifier: v, Witnesses: wv,
		Progress: func(el string, done, total uint64) {
			if done == total || done%(1<<18) == 0 {
				fmt.Fprintf(e.stderr, "checking %s: %d/%d entries\n", el, done, total)
			}
		}})
	if err != nil {
		return err
	}
	defer b.Close()
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: board.NewHandler(b, board.HandlerOptions{Logger: logger, AllowCosign: len(wv) > 0}), ReadHeaderTimeout: 10 * time.Second}
	fmt.Fprintf(e.stderr, "board %s serving on http://%s\n", b.Name(), ln.Addr())
	go func() {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
	}()
	if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

func runFollow(ctx context.Context, e *env, args []string, witness bool) error {
	name := "board follow"
	if witness {
		name = "board witness"
	}
	fs := newFlags(e, name)
	server := fs.String("server", "", "the board server `URL`")
	election := fs.String("election", "", "the election `ID`")
	boardKey := fs.String("board-key", "", "the board's note verifier `VKEY`, or @FILE")
	state := fs.String("state", "", "the state directory `DIR` (default ./board-<election>)")
	once := fs.Bool("once", false, "sync once and exit")
	var keyFile *string
	if witness {
		keyFile = fs.String("key", "", "the witness's note signing key `FILE` ('tabella board keygen')")
	}
	var witnessKeys multiFlag
	fs.Var(&witnessKeys, "witness-key", "a witness cosignature `VKEY` to verify (repeatable)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *server == "" || *election == "" || *boardKey == "" || fs.NArg() != 0 || (witness && *keyFile == "") {
		return fmt.Errorf("%w: need --server, --election and --board-key%s", errUsage, map[bool]string{true: " and --key", false: ""}[witness])
	}
	vk, err := readKeyArg(*boardKey)
	if err != nil {
		return err
	}
	bv, err := note.NewVerifier(vk)
	if err != nil {
		return fmt.Errorf("%w: --board-key is not a note verifier key", errUsage)
	}
	var wv []note.Verifier
	for _, w := range witnessKeys {
		k, err := readKeyArg(w)
		if err != nil {
			return err
		}
		x, err := bulletin.NewCosignatureVerifier(k)
		if err != nil {
			return fmt.Errorf("%w: --witness-key %q: %v", errUsage, w, err)
		}
		wv = append(wv, x)
	}
	client, err := bulletin.NewClient(*server, *election, nil)
	if err != nil {
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	if *state == "" {
		*state = "board-" + *election
	}
	cfg := follow.Config{Client: client, Board: bv, Witnesses: wv, StateDir: *state, Log: e.stderr}
	if witness {
		_, _, skey, err := loadSigner(*keyFile)
		if err != nil {
			return err
		}
		if cfg.Cosigner, err = bulletin.NewCosigner(skey, nil); err != nil {
			return err
		}
	}
	f, err := follow.New(cfg)
	if err != nil {
		return err
	}
	defer f.Close()
	if *once {
		err = f.Sync(ctx)
	} else {
		err = f.Run(ctx)
		if errors.Is(err, context.Canceled) {
			err = nil
		}
	}
	var fe *follow.ForkError
	if errors.As(err, &fe) {
		data, _ := canon.Marshal(fe.Evidence)
		fmt.Fprintf(e.stdout, "%s\n", data)
		return fmt.Errorf("%v (evidence in %s/evidence.json)", err, *state)
	}
	if err != nil {
		return err
	}
	if cp := f.Checkpoint(); cp != nil {
		fmt.Fprintf(e.stdout, "%s %d %s\n", *election, cp.Size, cp.Root)
	} else {
		fmt.Fprintf(e.stdout, "%s 0 (empty)\n", *election)
	}
	return nil
}
