-- wrk script: POST the JSON body in the environment variable WRK_BODY.
wrk.method = "POST"
wrk.body = os.getenv("WRK_BODY")
wrk.headers["Content-Type"] = "application/json"
