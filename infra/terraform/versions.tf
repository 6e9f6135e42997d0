terraform {
  # Validation blocks that read other variables or locals (variables.tf, modules/function) need
  # Terraform 1.9.
  required_version = ">= 1.9"

  required_providers {
    google = {
      source  = "hashicorp/google"
      version = "~> 6.10"
    }
    # Only for google_project_service_identity (the Pub/Sub and IAP service agents), which is beta-only.
    google-beta = {
      source  = "hashicorp/google-beta"
      version = "~> 6.10"
    }
    # Zips the packaged functions folder (scripts/package-functions.mjs) for upload.
    archive = {
      source  = "hashicorp/archive"
      version = "~> 2.7"
    }
    # Unique BigQuery job ids: a job id can never be reused in a project, even after a revert.
    random = {
      source  = "hashicorp/random"
      version = "~> 3.6"
    }
  }
}
