// Package mixnet will hold the verifiable re-encryption shuffle cascade for
// contests that cannot be tallied homomorphically (ranked choice). It is not
// built yet; see the project's issues.
package mixnet
