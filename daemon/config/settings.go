package config

import (
	"errors"
	"fmt"
	"log/slog"
	"os"

	"github.com/clawbridge/clawbridge/assets"
)

// LoadOrDefault reads the config at path ("" means DefaultPath()) for the
// one-shot commands that must act as the daemon would (clawbridge guard,
// patch). Where there is no file yet it returns the default config the
// daemon writes on its first start, with exists false, and writes nothing:
// a check must not leave a config file behind.
func LoadOrDefault(path string) (cfg *Config, exists bool, err error) {
	if path == "" {
		if path, err = DefaultPath(); err != nil {
			return nil, false, err
		}
	}
	cfg, err = Load(path)
	switch {
	case errors.Is(err, os.ErrNotExist):
		cfg, err = Parse(assets.DefaultConfig, "default config")
		if err != nil {
			return nil, false, fmt.Errorf("default config: %w", err)
		}
		return cfg, false, nil
	case err != nil:
		return nil, false, err
	}
	return cfg, true, nil
}

// Open is how a long-running command (`run`, `serve`) starts from the
// config at path ("" means DefaultPath()): it loads the file, or first
// writes the commented default and says so in the log, and logs the keys
// clawbridge does not use. It returns the config and the path it read.
func Open(path string, log *slog.Logger) (*Config, string, error) {
	if path == "" {
		p, err := DefaultPath()
		if err != nil {
			return nil, "", err
		}
		path = p
	}
	cfg, created, err := LoadOrCreate(path)
	if err != nil {
		return nil, "", err
	}
	if created {
		log.Info("wrote the default config; edit it to map model names to your Ollama models", "config", path)
	}
	LogIgnoredKeys(log, cfg)
	return cfg, path, nil
}

// LogIgnoredKeys logs, at debug level and one line each, the keys of cfg's
// file that clawbridge does not use (LiteLLM's own settings, typos): what
// README promises `--debug` shows, for `run` and `serve` alike.
func LogIgnoredKeys(log *slog.Logger, cfg *Config) {
	for _, k := range cfg.Ignored {
		log.Debug("config key not used by clawbridge", "key", k)
	}
}

// ListenAddr is the translator's address: override (a --listen flag) when
// set, else clawbridge.listen, else DefaultListen. The daemon and `serve`
// choose it the same way.
func ListenAddr(cfg *Config, override string) string {
	switch {
	case override != "":
		return override
	case cfg.Clawbridge.Listen != "":
		return cfg.Clawbridge.Listen
	}
	return DefaultListen
}
