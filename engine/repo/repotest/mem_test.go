package repotest

import (
	"testing"

	"github.com/velinhq/velin/engine/storage"
	"github.com/velinhq/velin/engine/storage/storagetest"
)

func TestMemObeysContract(t *testing.T) {
	storagetest.Run(t, func(t *testing.T) storage.Storage { return NewMem() })
}
