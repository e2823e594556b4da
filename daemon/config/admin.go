package config

import "net"

// AdminSettings configure the daemon's admin endpoint, which `clawbridge
// status`, `pull` and the tray's actions reach through the runtime file,
// and Prometheus scrapes at /metrics.
type AdminSettings struct {
	// Listen is a fixed loopback host:port for it, so Prometheus can be
	// pointed there; empty means a free port chosen at each start. Read
	// at start only.
	Listen string `yaml:"listen"`
}

// AdminAddr is where the admin endpoint listens: clawbridge.admin.listen,
// else a free loopback port.
func AdminAddr(cfg *Config) string {
	if cfg.Clawbridge.Admin.Listen != "" {
		return cfg.Clawbridge.Admin.Listen
	}
	return "127.0.0.1:0"
}

// validateAdminListen checks clawbridge.admin.listen: a host:port on a
// loopback address, since the endpoint serves the state and actions to
// whoever holds the token and /metrics to anyone.
func (d *decoder) validateAdminListen(listen string) {
	const key = "clawbridge.admin.listen"
	if listen == "" || d.failed(key) {
		return
	}
	if msg := checkListen(listen); msg != "" {
		d.problem(key, d.lineOf(key), "%s %s", d.show(key, listen), msg)
		return
	}
	host, _, _ := net.SplitHostPort(listen)
	if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
		d.problem(key, d.lineOf(key), "%s must be on a loopback address, e.g. 127.0.0.1:4001", d.show(key, listen))
	}
}
