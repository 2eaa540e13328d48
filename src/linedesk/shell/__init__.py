"""The web app's shell: the landing page, the manifest, the service worker, the offline page."""
