"""S3-compatible object storage (Cloudflare R2, AWS S3) through boto3."""
