"""`build.py publish`: upload the built site to its S3 bucket, invalidate what changed on
CloudFront, and remove assets no page has used for a while."""
