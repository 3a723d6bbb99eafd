// Package provisioning will hold hosting resources (resellers, accounts,
// domains, subdomains), their lifecycle and server drivers, publishing
// lifecycle events through the core's outbox. It imports only the core.
// It has no code yet.
package provisioning
