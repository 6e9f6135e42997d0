terraform {
  # Validation blocks that read other variables (timeout_s, invoker_members) need Terraform 1.9.
  required_version = ">= 1.9"

  required_providers {
    google = {
      source  = "hashicorp/google"
      version = "~> 6.10"
    }
  }
}
