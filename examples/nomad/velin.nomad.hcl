# velin under Nomad's scheduler: a periodic batch job, one backup run per
# launch. prohibit_overlap keeps two runs from overlapping. See
# docs/operations.md.
job "velin-nightly" {
  type = "batch"

  periodic {
    crons            = ["15 5 * * *"]
    time_zone        = "Europe/Paris"
    prohibit_overlap = true
  }

  group "backup" {
    restart {
      attempts = 0
      mode     = "fail"
    }

    task "velin" {
      driver = "exec"

      config {
        command = "/usr/local/bin/velin"
        args    = ["backup", "create", "--backup", "nightly", "-f", "/etc/velin"]
      }

      env {
        VELIN_STATE_DIR = "/var/lib/velin"
      }

      # The passphrase and the S3 keys, from Nomad variables.
      template {
        data        = <<-EOT
          {{ with nomadVar "nomad/jobs/velin-nightly" }}
          VELIN_PASSPHRASE={{ .passphrase }}
          AWS_ACCESS_KEY_ID={{ .s3_access_key }}
          AWS_SECRET_ACCESS_KEY={{ .s3_secret_key }}
          {{ end }}
        EOT
        destination = "secrets/velin.env"
        env         = true
      }

      resources {
        cpu    = 1000
        memory = 512
      }
    }
  }
}
