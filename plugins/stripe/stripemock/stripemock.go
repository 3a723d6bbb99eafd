// Package stripemock starts Stripe's stripe-mock (a real server that
// checks every request against Stripe's OpenAPI) on loopback for tests.
package stripemock

import (
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// Start returns the address of a stripe-mock: $FAKTURA_TEST_STRIPE_MOCK
// when set, else one it starts on two free loopback ports from the
// stripe-mock binary (PATH, GOBIN or GOPATH/bin; ./test.sh installs it),
// stopped when the test ends. Without one the test skips, except under
// CI, where a skip would hide a missing install step.
func Start(t testing.TB) string {
	t.Helper()
	if addr := os.Getenv("FAKTURA_TEST_STRIPE_MOCK"); addr != "" {
		return addr
	}
	bin, err := exec.LookPath("stripe-mock")
	if err != nil {
		for _, v := range []string{"GOBIN", "GOPATH"} {
			out, _ := exec.Command("go", "env", v).Output()
			dir := strings.TrimSpace(string(out))
			if v == "GOPATH" {
				dir = filepath.Join(dir, "bin")
			}
			if p := filepath.Join(dir, "stripe-mock"); dir != "" && fileExists(p) {
				bin = p
				break
			}
		}
	}
	if bin == "" {
		if os.Getenv("CI") == "true" {
			t.Fatal("no stripe-mock under CI; ./test.sh installs it (go install github.com/stripe/stripe-mock@v0.203.0)")
		}
		t.Skip("no stripe-mock (go install github.com/stripe/stripe-mock@v0.203.0, or run ./test.sh); skipping")
	}
	httpAddr, httpsAddr := freePort(t), freePort(t)
	cmd := exec.Command(bin, "-http-addr", httpAddr, "-https-addr", httpsAddr)
	if err := cmd.Start(); err != nil {
		t.Fatalf("start stripe-mock: %v", err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	base := "http://" + httpAddr
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		if resp, err := http.Get(base + "/v1/customers"); err == nil {
			resp.Body.Close()
			return base
		}
	}
	t.Fatal("stripe-mock did not start within 30 s")
	return ""
}

func fileExists(p string) bool {
	st, err := os.Stat(p)
	return err == nil && !st.IsDir()
}

func freePort(t testing.TB) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}
