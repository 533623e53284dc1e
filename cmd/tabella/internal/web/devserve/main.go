// Command devserve runs the web pages against the stand-in service of
// package browser (a real board, a demo election), for working on the
// pages without the whole service: go run ./cmd/tabella/internal/web/devserve.
package main

import (
	"context"
	"encoding/hex"
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"path/filepath"

	"github.com/tabella-vote/tabella/ballot"
	"github.com/tabella-vote/tabella/ballot/elgamal"
	"github.com/tabella-vote/tabella/ballot/group"
	"github.com/tabella-vote/tabella/bulletin/board"
	"github.com/tabella-vote/tabella/cmd/tabella/internal/web"
	"github.com/tabella-vote/tabella/e2e/browser"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:8089", "listen address")
	manifest := flag.String("manifest", "", "manifest file (default: a demo with one contest of each kind)")
	voters := flag.Int("voters", 3, "credentials on the roll (printed)")
	lie := flag.Bool("lie-joint-key", false, "serve another joint key (and its base hash) than the board's, as a dishonest server would")
	flag.Parse()
	mdata := []byte(browser.DemoManifest)
	if *manifest != "" {
		var err error
		if mdata, err = os.ReadFile(*manifest); err != nil {
			log.Fatal(err)
		}
	}
	m, err := ballot.DecodeManifest(mdata)
	if err != nil {
		log.Fatal(err)
	}
	sk, jk := elgamal.GenerateKey()
	e, err := ballot.NewElection(m, jk, [32]byte{1})
	if err != nil {
		log.Fatal(err)
	}
	s, v, vkey, err := browser.NoteKeys("board.local")
	if err != nil {
		log.Fatal(err)
	}
	dir, _ := os.MkdirTemp("", "devserve")
	b, err := board.Open(context.Background(), "sqlite:"+filepath.Join(dir, "b.db"), board.Options{Signer: s, Verifier: v})
	if err != nil {
		log.Fatal(err)
	}
	var creds []*group.Point
	for i := 0; i < *voters; i++ {
		c := ballot.NewCredential()
		creds = append(creds, c.Public())
		fmt.Printf("credential %d: %s\n", i, c.Secret())
	}
	f := browser.NewFake(e, b, vkey, creds)
	f.Secret = sk
	if err := f.PostSetup(context.Background()); err != nil {
		log.Fatal(err)
	}
	if *lie {
		_, other := elgamal.GenerateKey()
		ok := other.Bytes()
		mh, _ := m.Hash()
		base := ballot.BaseHash(mh, other, e.CeremonyHash)
		f.Info = map[string]any{"joint_key": hex.EncodeToString(ok[:]), "base_hash": hex.EncodeToString(base[:])}
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		log.Fatal(err)
	}
	h := f.Handler(web.Handler()) // compresses the assets once, before serving
	fmt.Printf("serving http://%s/e/%s/\n", ln.Addr(), m.ElectionID)
	log.Fatal(http.Serve(ln, h))
}
