package provisioning

import (
	"regexp"
	"strings"

	"golang.org/x/net/idna"
)

// domainProfile converts a domain to its ASCII form the way a registry
// does (IDNA 2008, UTS #46 mapping, lower case), refusing hyphens in the
// third and fourth place unless it is an "xn--" label, and enforcing the
// DNS length rules.
var domainProfile = idna.New(
	idna.MapForLookup(),
	idna.Transitional(false),
	idna.BidiRule(),
	idna.ValidateLabels(true),
	idna.StrictDomainName(true),
	idna.VerifyDNSLength(true),
)

var (
	ldhLabel   = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$`)
	usernameRE = regexp.MustCompile(`^[a-z][a-z0-9]{1,15}$`)
	codeRE     = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,49}$`)
)

// NormalizeDomain returns the ASCII (punycode) and display (Unicode) forms
// of a domain name, or a problem for the field: at least two labels, each
// 1 to 63 letters, digits or hyphens (not at either end), 253 characters
// at most, and a top-level label that is not all digits.
func NormalizeDomain(s string) (ascii, display, problem string) {
	s = strings.TrimSuffix(strings.TrimSpace(s), ".")
	if s == "" {
		return "", "", "is required"
	}
	a, err := domainProfile.ToASCII(s)
	if err != nil {
		return "", "", "is not a valid domain name (" + idnaProblem(err) + ")"
	}
	labels := strings.Split(a, ".")
	if len(labels) < 2 {
		return "", "", "needs at least two labels, like example.com"
	}
	if len(a) > 253 {
		return "", "", "is longer than 253 characters"
	}
	for _, l := range labels {
		if !ldhLabel.MatchString(l) {
			return "", "", "has a label that is not 1-63 letters, digits or inner hyphens: " + quoteLabel(l)
		}
	}
	if strings.Trim(labels[len(labels)-1], "0123456789") == "" {
		return "", "", "has an all-numeric top-level label"
	}
	u, err := idna.Lookup.ToUnicode(a)
	if err != nil {
		u = a
	}
	return a, u, ""
}

// NormalizeLabel checks one subdomain label (it may be Unicode) and
// returns its ASCII form.
func NormalizeLabel(s string) (string, string) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", "is required"
	}
	if strings.Contains(s, ".") {
		return "", "must be a single label, without dots"
	}
	a, err := domainProfile.ToASCII(s)
	if err != nil || !ldhLabel.MatchString(a) {
		return "", "must be 1-63 letters, digits or inner hyphens"
	}
	return a, ""
}

func idnaProblem(err error) string {
	msg := err.Error()
	if i := strings.LastIndex(msg, ": "); i >= 0 {
		msg = msg[i+2:]
	}
	return strings.TrimPrefix(msg, "idna: ")
}

func quoteLabel(l string) string {
	if l == "" {
		return `""`
	}
	return `"` + l + `"`
}

// checkUsername reports what is wrong with a system user name.
func checkUsername(u string) string {
	if !usernameRE.MatchString(u) {
		return "must be 2-16 lower-case letters or digits, starting with a letter"
	}
	return ""
}
