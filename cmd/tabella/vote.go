package main

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/tabella-vote/tabella/ballot"
	"github.com/tabella-vote/tabella/ballot/canon"
	"github.com/tabella-vote/tabella/bulletin"
	"github.com/tabella-vote/tabella/e2e/record"
	"github.com/tabella-vote/tabella/e2e/service"
)

// `tabella vote`: cast a ballot from a script.

const voteUsage = `Usage: tabella vote --server URL --credential FILE --choices SPEC [--election ID] [--receipt FILE] [--spoil]

Encrypts a ballot on this machine with the election's joint key, proves it
valid, signs it with the credential and casts it. Prints the tracking code
on stdout and saves the receipt (default receipt-<tracking code>.json).
Casting again replaces the earlier ballot in the tally (both stay on the
board). With --spoil the ballot is challenged instead of cast (Benaloh):
its encryption is opened on the board, so anyone can check it encrypted
your choices; it never counts.

SPEC lists each contest's choices: 'contest=option[,option…];…'. For score
contests write option:score; for ranked contests the options in order of
preference, first choice first. A contest left out gets no selection.
`

const voteExample = `tabella vote --server http://127.0.0.1:8080 --credential voter-000001.txt \
    --choices 'mayor=alice;council=dan,erin;parks=north:5,south:3'`

func init() {
	register(&command{name: "vote", summary: "encrypt and cast a ballot (for scripts)", usage: voteUsage, example: voteExample, run: runVote})
}

// parseChoices parses 'contest=option[,option…];…' against a manifest.
func parseChoices(m *ballot.Manifest, spec string) (ballot.Choices, error) {
	ch := ballot.Choices{}
	for _, part := range strings.Split(spec, ";") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		cid, opts, ok := strings.Cut(part, "=")
		if !ok {
			return nil, fmt.Errorf("%w: %q: want contest=option[,option…]", errUsage, part)
		}
		c := m.Contest(strings.TrimSpace(cid))
		if c == nil {
			return nil, fmt.Errorf("%w: no contest %q in the manifest", errUsage, cid)
		}
		if _, dup := ch[c.ID]; dup {
			return nil, fmt.Errorf("%w: contest %q given twice", errUsage, c.ID)
		}
		if c.Kind == ballot.Ranked {
			var ids []string
			for _, o := range strings.Split(opts, ",") {
				if o = strings.TrimSpace(o); o != "" {
					ids = append(ids, o)
				}
			}
			v, err := c.Ranking(ids...)
			if err != nil {
				return nil, err
			}
			ch[c.ID] = v
			continue
		}
		v := make([]uint64, len(c.Options))
		for _, o := range strings.Split(opts, ",") {
			o = strings.TrimSpace(o)
			if o == "" {
				continue
			}
			name, score, hasScore := strings.Cut(o, ":")
			n := uint64(1)
			if hasScore {
				x, err := strconv.ParseUint(score, 10, 32)
				if err != nil {
					return nil, fmt.Errorf("%w: %q: bad score", errUsage, o)
				}
				n = x
			}
			k := -1
			for i, op := range c.Options {
				if op.ID == name {
					k = i
				}
			}
			if k < 0 {
				return nil, fmt.Errorf("%w: contest %q has no option %q", errUsage, c.ID, name)
			}
			v[k] = n
		}
		ch[c.ID] = v
	}
	for _, c := range m.Contests {
		if _, ok := ch[c.ID]; !ok && c.Kind != ballot.Ranked {
			ch[c.ID] = make([]uint64, len(c.Options)) // a ranked one left out is blank too
		}
	}
	if err := ch.Validate(m); err != nil {
		return nil, err
	}
	return ch, nil
}

// receiptFile is what `tabella vote` saves and `tabella receipt check`
// reads: the board's receipt, the tracking code and the board key.
type receiptFile struct {
	Receipt      *bulletin.Receipt `json:"receipt"`
	TrackingCode string            `json:"tracking_code"`
	BoardKey     string            `json:"board_key"`
}

func runVote(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "vote")
	server := fs.String("server", "", serverFlagDoc)
	credFile := fs.String("credential", "", "your credential `FILE` (or a file holding the credential)")
	id := fs.String("election", "", "the election `ID` (default: the one named in the credential file)")
	spec := fs.String("choices", "", "your choices `SPEC`")
	out := fs.String("receipt", "", "`FILE` to save the receipt in (default receipt-<tracking code>.json)")
	spoil := fs.Bool("spoil", false, "challenge (spoil) the ballot instead of casting it")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if err := requireFlags("server", *server, "credential", *credFile, "choices", *spec); err != nil {
		return err
	}
	cred, named, err := readCredential(*credFile)
	if err != nil {
		return err
	}
	if *id == "" {
		*id = named
	}
	if *id == "" {
		return fmt.Errorf("%w: --election is required (the credential file names none)", errUsage)
	}
	c := service.NewClient(*server)
	in, err := c.Info(ctx, *id)
	if err != nil {
		return err
	}
	el, err := in.Election()
	if err != nil {
		return err
	}
	r, tc, err := castBallot(ctx, c, el, cred, *spec, *spoil)
	if err != nil {
		return err
	}
	if *out == "" {
		*out = "receipt-" + tc + ".json"
	}
	data, err := canon.Marshal(&receiptFile{Receipt: r.Receipt, TrackingCode: tc, BoardKey: in.BoardKey})
	if err != nil {
		return err
	}
	if err := os.WriteFile(*out, append(data, '\n'), 0o644); err != nil {
		return err
	}
	verb := "cast"
	if *spoil {
		verb = "spoiled (challenged; it will not count)"
	}
	fmt.Fprintf(e.stderr, "ballot %s at entry %d; receipt saved to %s\n", verb, r.Receipt.Index, *out)
	fmt.Fprintln(e.stdout, tc)
	return nil
}

// castBallot encrypts and casts (or spoils) a ballot and returns the
// receipt and the tracking code.
func castBallot(ctx context.Context, c *service.Client, el *ballot.Election, cred *ballot.Credential, spec string, spoil bool) (*service.ReceiptJSON, string, error) {
	id := el.Manifest.ElectionID
	ch, err := parseChoices(el.Manifest, spec)
	if err != nil {
		return nil, "", err
	}
	b, o, err := ballot.Encrypt(el, cred, ch)
	if err != nil {
		return nil, "", err
	}
	tc, err := b.TrackingCode()
	if err != nil {
		return nil, "", err
	}
	typ, payload := record.TypeBallot, []byte(nil)
	if spoil {
		sp, err := ballot.Spoil(b, o)
		if err != nil {
			return nil, "", err
		}
		if payload, err = sp.Encode(); err != nil {
			return nil, "", err
		}
		typ = record.TypeSpoiled
	} else if payload, err = b.Encode(); err != nil {
		return nil, "", err
	}
	signer := record.Signer{Kind: record.Voter, Key: cred.Public().Bytes()}
	r, err := c.Submit(ctx, id, service.Submission{Type: typ, Payload: payload, Signer: signer.Bytes()})
	if err != nil {
		return nil, "", err
	}
	return r, string(tc), nil
}
