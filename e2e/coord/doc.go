// Package coord is the network side of Tabella's trustees (e2e/SPEC.md
// §9.10, §10.7): the trustee websocket of the election server, the client
// that trustees run it through, and the coordinator that posts the board's
// own entries of the key ceremony and of the tally.
//
// # Design
//
// The board is the only channel and the only state. A trustee's every
// message is a board entry signed by the trustee (Ed25519 over
// trustee.SignedBytes, signer kind 0x02 of §11.1); the server streams the
// relevant entries back (everything except the roll and the ballots) and a
// status, and the trustee's [ceremony.Trustee] state machine runs unchanged
// over the [Client], which implements [ceremony.Board]. A trustee that
// reconnects asks for the entries from the next index it needs; one that
// restarts from nothing but its key file reads the board from 0 and
// recovers its polynomial from its encrypted backup (§9.3).
//
// The [Coordinator] replays the ceremony from the board (§9.8) at the
// settled board time and, when it has succeeded, posts ceremony.result
// signed by the board. A failed ceremony (fewer than t qualified trustees)
// gets no ceremony.result: the status of every connection says why, and
// [Coordinator.Run] returns an error wrapping ceremony.ErrTooFewQualified,
// so no weak key is ever published. Round deadlines are measured on the
// injectable [ceremony.Clock]. After election.close it recomputes the
// aggregate of the counted ballots (by board index, §11.6) and posts
// tally.result once t valid tally.share entries are on the board (§10.4);
// invalid shares are named in the status and ignored.
//
// Trustees never take the server's word: [Decrypt] reads the whole board
// through the public read API (bulletin.Client), checks the chain and the
// officials' signatures, recomputes its own key share from the ceremony
// messages, verifies every counted ballot (ballot.VerifyBatch), sums them
// itself, and only then posts its decryption shares with their proofs.
//
// # Mounting
//
// The service implements [Backend] (submit through its admission, read
// entries, wait for growth, the board's clock, sign as the board) and
// mounts the coordinator at "GET " + [Path]:
//
//	co := coord.New(backend, coord.Options{Logger: logger})
//	mux.Handle("GET "+coord.Path, co)
//	go co.Run(ctx, electionID) // per election, restart on error after fixing the cause
package coord
