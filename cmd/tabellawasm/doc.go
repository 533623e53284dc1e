// Command tabellawasm is the voter's and observer's ballot client in the
// browser: the Go ballot code (packages ballot and bulletin) compiled to
// WebAssembly (GOOS=js GOARCH=wasm) and driven by the pages of
// cmd/tabella/internal/web. There is no second implementation of the
// cryptography in JavaScript: the page only renders, fetches and posts.
//
// # What it exposes
//
// After the Go program starts it sets globalThis.tabella, an object of
// functions. Each takes strings and returns a JSON string, either the
// result or {"error":"…","code":"…"} (a stable code per failure, errors.go,
// which the pages translate); none throws. The functions are:
//
//   - loadElection(info): decode the service's GET /v1/elections/{id}
//     answer; the manifest is decoded strictly (e2e/SPEC.md §6) and the
//     base hash recomputed when the ceremony hash is given (§6.3).
//   - checkCredential(text): parse a printed credential (§7.1); returns
//     only its public key and board signer.
//   - encrypt(credential, choices): encrypt and prove a ballot (§7.4);
//     returns a handle and the tracking code (§7.7). The ballot and its
//     nonces stay in Go memory. choices maps a contest id to one integer
//     per option, or for a ranked contest to its ranking, the option ids
//     from the first rank on (`{"budget":["o3","o1"]}`), which is checked
//     for repeats and skipped ranks here since no proof can show them.
//   - cast(handle): the board submission of the ballot; the nonces are
//     dropped, so the encryption can no longer be checked.
//   - spoil(handle): the Benaloh check (§7.9): the submission of the
//     spoiled ballot and the verified choices it opens to (with each
//     ranked contest's ranking as option ids); the encryption is
//     forgotten, so it can never be cast.
//   - warmUp(): encrypt and discard one ballot with a throwaway
//     credential while the voter reads, so the engine's optimising tier
//     has compiled the hot code before the voter's own encryption.
//   - discard(handle), verifySpoiled(spoiled), trackingCode(ballot),
//     parseTrackingCode(text).
//   - checkReceipt(receipt, boardKey, latestCheckpoint, consistencyProof,
//     entry): the receipt's checkpoint and inclusion proof (§8.6), the
//     consistency of the latest checkpoint with it (§8.3) and the entry's
//     hash and tracking code.
//   - receiptFile(answer, trackingCode, boardKey): the voter's receipt
//     file, the canonical JSON `tabella vote` saves and `tabella receipt
//     check` reads.
//   - setupBegin(), setupPage(page), setupFinish(checkpoint, proof): check
//     that the manifest, joint key and ceremony hash in use are the ones
//     on the public board, read from entry 0 and chained, and that the
//     board's signed checkpoint extends those entries.
//   - observe(election, boardKey), observeEntry(entry),
//     observeCheckpoint(note): an observer's view of the feed (§8.7) with
//     every entry chained and every checkpoint matched to the entries.
//
// # Security
//
// The credential is parsed in Go and never sent anywhere: only the
// signed, encrypted ballot leaves the page. Nonces leave Go memory only
// inside a spoiled ballot. Randomness is crypto/rand, which Go maps to
// the browser's crypto.getRandomValues. Errors never contain secrets.
//
// # Building
//
// cmd/tabella/internal/web runs, through go generate,
//
//	GOOS=js GOARCH=wasm go build -trimpath -ldflags="-s -w -buildid=" -o tabella.wasm ./cmd/tabellawasm
//
// and commits the result; CI rebuilds it and fails if it differs.
package main
