//! The checks of an app that signs people in with Google.

use super::*;

/// Where a Google sign-in starts and lands, when the profile's routes are
/// not the app's: a link on the home page that leads to a provider, and
/// the page the sign-in ends on when the protected page is not there.
pub(super) async fn settle_google_routes(cx: &mut Cx) {
    if cx.settled {
        return;
    }
    cx.settled = true;
    let mut browser = cx.browser();
    let leaves = match browser.get(&sign_in_path(cx)).await {
        Ok(hops) => hops.off_site.is_some(),
        Err(_) => false,
    };
    if !leaves && let Ok(home) = browser.get("/").await {
        let words = ["google", "login", "signin", "sign-in", "sign_in", "auth"];
        let links: Vec<String> = html::links(&home.last().text())
            .into_iter()
            .filter(|l| words.iter().any(|w| l.to_ascii_lowercase().contains(w)))
            .take(4)
            .collect();
        for link in links {
            if browser.get(&link).await.is_ok_and(|hops| hops.off_site.is_some()) {
                cx.routes.sign_in = Some(link);
                break;
            }
        }
    }
    let protected = browser.get(&protected_path(cx)).await;
    if protected.is_ok_and(|hops| hops.last().status == 404)
        && let Ok(session) = google_sign_in(cx, &User::made_up(), None).await
        && session.hops.last().status == 200
        && session.hops.off_site.is_none()
    {
        cx.routes.protected = Some(session.hops.path());
        cx.landing = true;
    }
}

pub(super) async fn provider_configurable(cx: &mut Cx) -> Outcome {
    settle_google_routes(cx).await;
    let provider = cx.provider.as_ref().expect("a google profile has a provider");
    let mut browser = cx.browser();
    let hops = browser.get(&sign_in_path(cx)).await?;
    let Some(url) = hops.off_site.clone() else {
        return Err(no_redirect_to_provider(cx, &hops));
    };
    let mock = Url::parse(provider.idp.issuer()).expect("the issuer is a URL");
    if url.origin() != mock.origin() {
        return Err(hard_coded(&url));
    }
    Ok(None)
}

pub(super) async fn auto_register(cx: &mut Cx) -> Outcome {
    let user = User::made_up();
    let email = user.email.clone().unwrap_or_default();
    signed_in_as(cx, &user).await?;
    let Some(_file) = at_rest::mentions(&cx.app_dir, &email) else {
        return Err(Failure::new(format!(
            "the person ({email}) kept in the app's files or database after the first sign-in"
        ))
        .sent(format!("signed in for the first time as {email}"))
        .got("no file of the app (its database included) holds the email: it keeps no account"));
    };
    signed_in_as(cx, &user).await.map_err(|mut failure| {
        failure.expected = format!("a second sign-in to work: {}", failure.expected);
        failure
    })?;
    Ok(None)
}
