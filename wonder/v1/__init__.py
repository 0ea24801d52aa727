"""Generated from protos/wonder/v1 by `make proto`: do not edit."""
