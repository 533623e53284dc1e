package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tabella-vote/tabella/ballot"
	"github.com/tabella-vote/tabella/ballot/group"
	"github.com/tabella-vote/tabella/e2e/record"
	"github.com/tabella-vote/tabella/e2e/service"
)

// The invalid-submission flood of `tabella loadtest --flood N`: N workers
// send, while the valid voters cast, submissions that the server must
// refuse, of these kinds in rotation. Each kind names the code the server
// should answer it with.
var floodKinds = []struct{ name, want string }{
	{"bad_proof", service.CodeBadProof},         // a roll credential's ballot with a range proof's response changed
	{"bad_signature", service.CodeBadSignature}, // a roll credential's ballot with its signature's response changed
	{"unknown_credential", service.CodeNotOnRoll},
	{"oversized", service.CodeTooLarge}, // a body one byte over the cap
	{"malformed_json", service.CodeMalformed},
}

// A floodKind is one kind of invalid submission, as request bodies.
type floodKind struct {
	name, want string
	bodies     [][]byte
}

// A floodTally counts the answers to one kind of flood submission, by
// "STATUS code" ("network" for a failed round trip).
type floodTally struct {
	mu       sync.Mutex
	answers  map[string]int
	accepted int // 200s: the server took an invalid submission
	sent     int
}

// floodReport is what the flood did.
type floodReport struct {
	kinds   []*floodKind
	tallies []*floodTally
	elapsed time.Duration
	workers int
}

// prepareFlood makes the flood's request bodies for election el: the
// ballots with a bad proof or signature are signed by the roll
// credentials given (which cast no valid ballot), the unknown credentials
// are fresh.
func prepareFlood(el *ballot.Election, signers []voterCred) ([]*floodKind, error) {
	kinds := make([]*floodKind, len(floodKinds))
	for i, k := range floodKinds {
		kinds[i] = &floodKind{name: k.name, want: k.want}
	}
	encrypt := func(cred *ballot.Credential) (*ballot.Ballot, error) {
		ch, err := randomChoices(el.Manifest)
		if err != nil {
			return nil, err
		}
		b, _, err := ballot.Encrypt(el, cred, ch)
		return b, err
	}
	sub := func(cred *ballot.Credential, b *ballot.Ballot) ([]byte, error) {
		payload, err := b.Encode()
		if err != nil {
			return nil, err
		}
		signer := record.Signer{Kind: record.Voter, Key: cred.Public().Bytes()}
		s := service.Submission{Type: record.TypeBallot, Payload: payload, Signer: signer.Bytes()}
		return service.AppendSubmission(nil, &s), nil
	}
	one := group.NewScalar(1)
	for _, v := range signers {
		b, err := encrypt(v.cred)
		if err != nil {
			return nil, err
		}
		p := b.Contests[0].Parts()[0].Proof
		p.Z[0] = p.Z[0].Add(one)
		body, err := sub(v.cred, b)
		if err != nil {
			return nil, err
		}
		kinds[0].bodies = append(kinds[0].bodies, body)
		if b, err = encrypt(v.cred); err != nil {
			return nil, err
		}
		b.Signature.Z = b.Signature.Z.Add(one)
		if body, err = sub(v.cred, b); err != nil {
			return nil, err
		}
		kinds[1].bodies = append(kinds[1].bodies, body)
	}
	for range max(len(signers), 8) {
		stranger := ballot.NewCredential()
		b, err := encrypt(stranger)
		if err != nil {
			return nil, err
		}
		body, err := sub(stranger, b)
		if err != nil {
			return nil, err
		}
		kinds[2].bodies = append(kinds[2].bodies, body)
	}
	over := []byte(`{"type":"ballot","payload":"`)
	over = append(over, bytes.Repeat([]byte("00"), service.MaxSubmissionJSON/2)...)
	over = append(over, `","signer":"","signature":""}`...)
	kinds[3].bodies = [][]byte{over}
	valid := kinds[2].bodies[0]
	kinds[4].bodies = [][]byte{
		valid[:len(valid)/2], // cut short
		append(append([]byte(nil), valid[:len(valid)-1]...), `,"extra":1}`...), // an unknown member
		[]byte(`{"type":"ballot","payload":"zz","signer":"","signature":""}`),  // not hex
		[]byte(`{"payload":"00","type":"ballot","signer":"","signature":""}`),  // members out of order
		[]byte(`[]`),
		[]byte(`{"type":1}`),
		{0xff, 0xfe, '{'},
	}
	return kinds, nil
}

// runFlood sends the flood's submissions to server with workers at once
// until ctx ends, and counts the answers.
func runFlood(ctx context.Context, server, id string, workers int, kinds []*floodKind) *floodReport {
	rep := &floodReport{kinds: kinds, workers: workers}
	for range kinds {
		rep.tallies = append(rep.tallies, &floodTally{answers: map[string]int{}})
	}
	hc := &http.Client{Timeout: time.Minute, Transport: &http.Transport{MaxIdleConnsPerHost: workers, MaxConnsPerHost: workers}}
	defer hc.CloseIdleConnections()
	target := strings.TrimSuffix(server, "/") + "/v1/elections/" + url.PathEscape(id) + "/entries"
	var next atomic.Int64
	var wg sync.WaitGroup
	t0 := time.Now()
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				n := int(next.Add(1) - 1)
				k := n % len(kinds)
				body := kinds[k].bodies[(n/len(kinds))%len(kinds[k].bodies)]
				answer, ok := floodOnce(ctx, hc, target, body)
				if ctx.Err() != nil && strings.HasPrefix(answer, "network") {
					return // cut off by the end of the run, not answered
				}
				t := rep.tallies[k]
				t.mu.Lock()
				t.sent++
				if ok {
					t.accepted++
				} else {
					t.answers[answer]++
				}
				t.mu.Unlock()
			}
		}()
	}
	wg.Wait()
	rep.elapsed = time.Since(t0)
	return rep
}

// floodOnce posts body and returns "STATUS code" of the answer, or
// "network", and whether the server accepted it (200).
func floodOnce(ctx context.Context, hc *http.Client, target string, body []byte) (string, bool) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, bytes.NewReader(body))
	if err != nil {
		return "network", false
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := hc.Do(req)
	if err != nil {
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			return "network timeout", false
		}
		return "network", false
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<16))
	if resp.StatusCode == http.StatusOK {
		return "200", true
	}
	var e service.ErrorJSON
	if json.Unmarshal(data, &e) != nil || e.Code == "" {
		return fmt.Sprintf("%d (no error code)", resp.StatusCode), false
	}
	return fmt.Sprintf("%d %s", resp.StatusCode, e.Code), false
}

// print writes the flood's part of the report and returns what is wrong
// with it: a flood submission accepted, or refused with a code that is
// neither its kind's nor a refusal for load (rate_limited, unavailable).
func (r *floodReport) print(w io.Writer) []string {
	var sent, accepted int
	for _, t := range r.tallies {
		sent += t.sent
		accepted += t.accepted
	}
	fmt.Fprintf(w, "flood      %d invalid submissions in %.1fs: %.0f/s (%d workers at once)\n", sent, r.elapsed.Seconds(), float64(sent)/r.elapsed.Seconds(), r.workers)
	var failed []string
	for i, k := range r.kinds {
		t := r.tallies[i]
		keys := make([]string, 0, len(t.answers))
		for a := range t.answers {
			keys = append(keys, a)
		}
		sort.Strings(keys)
		var parts []string
		for _, a := range keys {
			parts = append(parts, fmt.Sprintf("%s ×%d", a, t.answers[a]))
			code := a[strings.IndexByte(a, ' ')+1:]
			if !strings.HasPrefix(a, "network") && code != k.want && code != service.CodeRateLimited && code != service.CodeUnavailable {
				failed = append(failed, fmt.Sprintf("flood %s: %d answered %q, not %s", k.name, t.answers[a], a, k.want))
			}
		}
		if t.accepted > 0 {
			parts = append(parts, fmt.Sprintf("ACCEPTED (200) ×%d", t.accepted))
			failed = append(failed, fmt.Sprintf("FLOOD ACCEPTED: the server answered 200 to %d %s submissions", t.accepted, k.name))
		}
		fmt.Fprintf(w, "  %-20s %6d sent, want %-13s got %s\n", k.name, t.sent, k.want, strings.Join(parts, ", "))
	}
	if accepted > 0 {
		fmt.Fprintf(w, "ERROR      the server ACCEPTED %d invalid flood submissions\n", accepted)
	}
	return failed
}
