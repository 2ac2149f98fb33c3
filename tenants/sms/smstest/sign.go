package smstest

import (
	"crypto/hmac"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"net/url"
	"sort"
	"strings"
)

func sha256hex(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

func hmac256(key []byte, msg string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(msg))
	return m.Sum(nil)
}

// TC3Signature is Tencent's TC3-HMAC-SHA256 signature (sms-api.md §1.2) of
// a canonical request, for the date (UTC, YYYY-MM-DD) and service of its
// credential scope.
func TC3Signature(secretKey, service, timestamp, date, canonicalRequest string) string {
	scope := date + "/" + service + "/tc3_request"
	toSign := "TC3-HMAC-SHA256\n" + timestamp + "\n" + scope + "\n" + sha256hex([]byte(canonicalRequest))
	k := hmac256([]byte("TC3"+secretKey), date)
	k = hmac256(k, service)
	k = hmac256(k, "tc3_request")
	return hex.EncodeToString(hmac256(k, toSign))
}

// TC3CanonicalRequest builds the canonical request from the headers named
// in signedHeaders (already lower-case and sorted by the client).
func TC3CanonicalRequest(method, query string, header func(string) string, signedHeaders string, body []byte) string {
	var b strings.Builder
	b.WriteString(method + "\n/\n" + query + "\n")
	for _, name := range strings.Split(signedHeaders, ";") {
		b.WriteString(name + ":" + strings.ToLower(strings.TrimSpace(header(name))) + "\n")
	}
	b.WriteString("\n" + signedHeaders + "\n" + sha256hex(body))
	return b.String()
}

// percentEncode is Alibaba's RFC 3986 encoding (sms-api.md §2.2 step 1).
func percentEncode(s string) string {
	e := url.QueryEscape(s)
	e = strings.ReplaceAll(e, "+", "%20")
	e = strings.ReplaceAll(e, "*", "%2A")
	return strings.ReplaceAll(e, "%7E", "~")
}

// canonicalQuery sorts and encodes parameters, leaving out skip.
func canonicalQuery(params url.Values, skip string) string {
	type kv struct{ k, v string }
	var pairs []kv
	for k, vs := range params {
		if k == skip {
			continue
		}
		for _, v := range vs {
			pairs = append(pairs, kv{percentEncode(k), percentEncode(v)})
		}
	}
	sort.Slice(pairs, func(i, j int) bool {
		if pairs[i].k != pairs[j].k {
			return pairs[i].k < pairs[j].k
		}
		return pairs[i].v < pairs[j].v
	})
	parts := make([]string, len(pairs))
	for i, p := range pairs {
		parts[i] = p.k + "=" + p.v
	}
	return strings.Join(parts, "&")
}

// ACS3Signature is Alibaba's V3 signature (ACS3-HMAC-SHA256) of a request:
// the canonical request is built from the headers named in signedHeaders.
func ACS3Signature(secret, method string, query url.Values, header func(string) string, signedHeaders, payloadHash string) string {
	var b strings.Builder
	b.WriteString(method + "\n/\n" + canonicalQuery(query, "") + "\n")
	for _, name := range strings.Split(signedHeaders, ";") {
		b.WriteString(name + ":" + strings.TrimSpace(header(name)) + "\n")
	}
	b.WriteString("\n" + signedHeaders + "\n" + payloadHash)
	toSign := "ACS3-HMAC-SHA256\n" + sha256hex([]byte(b.String()))
	return hex.EncodeToString(hmac256([]byte(secret), toSign))
}

// RPCSignature is Alibaba's V2 signature (HMAC-SHA1, SignatureVersion 1.0)
// of every parameter but Signature.
func RPCSignature(secret, method string, params url.Values) string {
	toSign := method + "&" + percentEncode("/") + "&" + percentEncode(canonicalQuery(params, "Signature"))
	m := hmac.New(sha1.New, []byte(secret+"&"))
	m.Write([]byte(toSign))
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}
