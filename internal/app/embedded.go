package app

import (
	"fmt"
	"path/filepath"

	"github.com/alicebob/miniredis/v2"
	"github.com/hibiken/asynq"

	"github.com/pushd/pushd/certs"
)

// RedisPasswordFile is the name, in data_dir, of the file keeping the
// embedded Redis password, beside the generated master key.
const RedisPasswordFile = "redis.password"

// startEmbedded starts the embedded in-process Redis on a loopback port and
// returns how to reach it. It requires a password, generated the first
// time and kept in data_dir with mode 0600 like the master key, so another
// local user cannot bypass the API tokens through the port and read device
// tokens or message text. The password is never logged.
func (a *App) startEmbedded() (asynq.RedisClientOpt, error) {
	pw, _, err := certs.LoadOrCreatePasswordFile(filepath.Join(a.Config.DataDir, RedisPasswordFile))
	if err != nil {
		return asynq.RedisClientOpt{}, fmt.Errorf("embedded redis: %w", err)
	}
	m := miniredis.NewMiniRedis()
	m.RequireAuth(pw)
	if err := m.StartAddr("127.0.0.1:0"); err != nil {
		return asynq.RedisClientOpt{}, fmt.Errorf("start embedded redis: %w", err)
	}
	a.embedded = m
	return asynq.RedisClientOpt{Addr: m.Addr(), Password: pw}, nil
}

// CertStoreOptions returns the certificate store options the configuration
// asks for: the previous master key (master_key_previous) while a rekey is
// under way. The integrator passes them to certs.NewStore in assemble.
func (a *App) CertStoreOptions() ([]certs.Option, error) {
	if a.Config.MasterKeyPrevious == "" {
		return nil, nil
	}
	k, err := certs.ParseMasterKey(a.Config.MasterKeyPrevious)
	if err != nil {
		return nil, fmt.Errorf("PUSHD_MASTER_KEY_PREVIOUS: %w", err)
	}
	return []certs.Option{certs.WithPreviousKey(k)}, nil
}
